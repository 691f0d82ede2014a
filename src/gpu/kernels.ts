// The kernel cache: compute pipelines built from composed WGSL (see compose.ts), their bind group layouts
// reflected from the source with wgsl_reflect, build errors captured and reported with the shader's name,
// uniform blocks packed by member name, and bind groups cached per set of buffers.
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { Shader } from './compose.js';
import { BufferIds } from './pool.js';
import { UNIFORM_USAGE } from './usage.js';

interface Binding { name: string; binding: number; kind: 'storage-read' | 'storage' | 'uniform' }
interface UniformMember { name: string; offset: number; type: string; count: number }

export interface Kernel {
  name: string;
  /** Unique per pipeline. */
  id: number;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  bindings: Binding[];
  uniform: { name: string; size: number; members: UniformMember[] } | null;
  workgroupSize: [number, number, number];
}

export type BufferArg = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };
export type Params = Record<string, number | readonly number[]>;

interface ReflectInfo {
  bindings: Binding[];
  uniform: Kernel['uniform'];
  workgroupSize: Map<string, (string | number)[]>;
}

/** Reflections by Shader.layoutKey: bindings and parameter layouts do not depend on the constants' values. */
const reflected = new Map<string, ReflectInfo>();

function reflect(shader: Shader): ReflectInfo {
  const hit = reflected.get(shader.layoutKey);
  if (hit) return hit;
  let ref: WgslReflect;
  try {
    ref = new WgslReflect(shader.source);
  } catch (e) {
    throw new Error(`kernel '${shader.name}': WGSL reflection failed: ${(e as Error).message}`);
  }
  const bindings: Binding[] = [];
  for (const s of ref.storage) {
    if (s.group !== 0) throw new Error(`kernel '${shader.name}': only @group(0) is supported (${s.name})`);
    bindings.push({ name: s.name, binding: s.binding, kind: String(s.access) === 'read' ? 'storage-read' : 'storage' });
  }
  let uniform: Kernel['uniform'] = null;
  for (const u of ref.uniforms) {
    if (uniform) throw new Error(`kernel '${shader.name}': at most one uniform block is supported`);
    bindings.push({ name: u.name, binding: u.binding, kind: 'uniform' });
    const members: UniformMember[] = [];
    for (const m of (u as unknown as { members: { name: string; offset: number; size: number; type: { name: string; format?: unknown } }[] }).members ?? []) {
      let t = m.type;
      while (t.format) t = t.format as typeof t;
      members.push({ name: m.name, offset: m.offset, type: t.name, count: m.size / 4 });
    }
    uniform = { name: u.name, size: Math.max(16, Math.ceil(u.size / 16) * 16), members };
  }
  bindings.sort((a, b) => a.binding - b.binding);
  if (!ref.entry.compute.length) throw new Error(`kernel '${shader.name}': no compute entry point`);
  const workgroupSize = new Map<string, (string | number)[]>();
  for (const entry of ref.entry.compute) {
    const ws = ((entry as unknown as { attributes?: { name: string; value: unknown }[] }).attributes ?? [])
      .find((a) => a.name === 'workgroup_size')?.value;
    workgroupSize.set(entry.name, (Array.isArray(ws) ? ws : ws !== undefined ? [ws] : [1]) as (string | number)[]);
  }
  const info = { bindings, uniform, workgroupSize };
  reflected.set(shader.layoutKey, info);
  return info;
}

/**
 * FNV-1a over `n` words, two independent 32-bit lanes folded into one number below 2^53: the key of a word
 * sequence in a Map (the caller keeps the words and compares them on a hit, so a collision is only a miss).
 */
function hashWords(w: Uint32Array, n: number): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ n;
  for (let i = 0; i < n; i++) {
    const v = w[i];
    a = Math.imul(a ^ v, 0x01000193);
    b = Math.imul(b ^ (v + 0x9e3779b9), 0x01000193);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

function sameWords(a: Uint32Array, b: Uint32Array, n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class KernelCache {
  private kernels = new Map<string, Kernel>();
  /** The same pipelines by Shader object and entry point (the lookup on every dispatch). */
  private byShader = new WeakMap<Shader, Map<string, Kernel>>();
  /**
   * Parameter blocks by content (kernel id and the block's words, hashed; the words kept to check a hit), least
   * recently used first (Map order; a hit moves its entry to the end).
   */
  private uniforms = new Map<number, { words: Uint32Array; buf: GPUBuffer }>();
  /**
   * At most this many cached parameter blocks. Loops whose parameters never repeat (class visualization's
   * random roll offsets) would otherwise grow the cache without end; past the limit the least recently used
   * quarter is retired: dropped from the cache, its bind groups forgotten, and the buffers destroyed once the
   * work already recorded with them has finished (takeRetired / the runtime's waits).
   */
  uniformLimit = 4096;
  private retired: GPUBuffer[] = [];
  /** Bind groups by kernel and bound buffers (ids, offsets, sizes; hashed, the words kept to check a hit). */
  private bindGroups = new Map<number, { words: Uint32Array; bg: GPUBindGroup }>();
  /** Scratch words of a bind group's key: kernel id, then id, offset, size per binding. */
  private bgWords = new Uint32Array(64);
  /** The buffers of the dispatch being keyed (bindGroup's scratch). */
  private bgBuffers: GPUBuffer[] = [];
  /** Build errors, resolved asynchronously (Queue awaits them before a read). */
  checks: Promise<void>[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly ids: BufferIds,
    private readonly onError: (e: Error) => void,
  ) {}

  get uniformBuffers(): number {
    return this.uniforms.size;
  }

  /** The pipeline of `shader`'s entry point, built on first use (keyed by the hash of the composed source). */
  get(shader: Shader, entryPoint = 'main'): Kernel {
    let entries = this.byShader.get(shader);
    let k = entries?.get(entryPoint);
    if (k) return k;
    if (!entries) this.byShader.set(shader, (entries = new Map()));
    const key = `${shader.hash}|${entryPoint}`;
    k = this.kernels.get(key);
    if (k) {
      entries.set(entryPoint, k);
      return k;
    }
    const { name } = shader;
    const info = reflect(shader);
    const wsz = info.workgroupSize.get(entryPoint);
    if (!wsz) throw new Error(`kernel '${name}': no compute entry point '${entryPoint}'`);
    const wg = wsz.map((v) => (typeof v === 'number' ? v : Number(shader.consts[v] ?? NaN)));
    const device = this.device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: shader.source, label: name });
    const layout = device.createBindGroupLayout({
      label: name,
      entries: info.bindings.map((b) => ({
        binding: b.binding,
        visibility: 0x4 /* COMPUTE */,
        buffer: { type: b.kind === 'uniform' ? 'uniform' : b.kind === 'storage' ? 'storage' : 'read-only-storage' },
      })),
    });
    const pipeline = device.createComputePipeline({
      label: name,
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout], label: name }),
      compute: { module, entryPoint },
    });
    this.checks.push(device.popErrorScope().then(async (err) => {
      if (!err) return;
      let detail = err.message;
      try {
        const ci = await module.getCompilationInfo();
        const msgs = ci.messages.filter((m) => m.type === 'error').map((m) => `  line ${m.lineNum}:${m.linePos} ${m.message}`);
        if (msgs.length) detail += '\n' + msgs.join('\n');
      } catch { /* compilation info not available */ }
      this.onError(new Error(`kernel '${name}' failed to build: ${detail}`));
    }));
    k = {
      name,
      id: this.kernels.size + 1,
      pipeline,
      layout,
      bindings: info.bindings,
      uniform: info.uniform,
      workgroupSize: [wg[0] || 1, wg[1] || 1, wg[2] || 1],
    };
    this.kernels.set(key, k);
    entries.set(entryPoint, k);
    return k;
  }

  /**
   * Per kernel: a scratch parameter block (zeroed and refilled per dispatch, no allocation) and its members
   * without the padding, with the typed view each one is written through.
   */
  private paramScratch = new Map<number, { ui: Uint32Array; key: Uint32Array; members: { m: UniformMember; arr: Float32Array | Int32Array | Uint32Array }[] }>();

  /** The uniform buffer holding `params` for kernel `k` (one per distinct block, cached). */
  private uniformBuffer(k: Kernel, params: Params): GPUBuffer {
    const u = k.uniform!;
    let sc = this.paramScratch.get(k.id);
    if (!sc) {
      const bytes = new ArrayBuffer(u.size);
      const f = new Float32Array(bytes);
      const i = new Int32Array(bytes);
      const ui = new Uint32Array(bytes);
      const members = u.members.filter((m) => !m.name.startsWith('_')) // padding
        .map((m) => ({ m, arr: m.type === 'f32' ? f : m.type === 'i32' ? i : ui }));
      sc = { ui, key: new Uint32Array(ui.length + 1), members };
      this.paramScratch.set(k.id, sc);
    }
    const ui = sc.ui;
    ui.fill(0);
    const members = sc.members;
    for (let j = 0; j < members.length; j++) {
      const { m, arr } = members[j];
      const v = params[m.name];
      if (v === undefined) throw new Error(`kernel '${k.name}': missing parameter '${m.name}'`);
      if (typeof v === 'number') {
        arr[m.offset >> 2] = v;
        continue;
      }
      if (v.length > m.count) throw new Error(`kernel '${k.name}': parameter '${m.name}' has ${v.length} values, room for ${m.count}`);
      for (let j = 0; j < v.length; j++) arr[(m.offset >> 2) + j] = v[j];
    }
    let given = 0;
    for (const _ in params) given++;
    if (given !== sc.members.length) {
      for (const name of Object.keys(params)) {
        if (!u.members.some((m) => m.name === name)) throw new Error(`kernel '${k.name}': unknown parameter '${name}'`);
      }
    }
    const words = sc.key;
    words[0] = k.id;
    words.set(ui, 1);
    const key = hashWords(words, words.length);
    const hit = this.uniforms.get(key);
    if (hit && sameWords(hit.words, words, words.length)) {
      // Most recently used last. (Cheap: the common case is a handful of distinct blocks per kernel.)
      this.uniforms.delete(key);
      this.uniforms.set(key, hit);
      return hit.buf;
    }
    if (hit) {
      // Another block with the same hash (rare): it gives way.
      this.uniforms.delete(key);
      this.retired.push(hit.buf);
      this.bindGroups.clear();
    }
    if (this.uniforms.size >= this.uniformLimit) this.retireUniforms(Math.max(1, this.uniformLimit >> 2));
    const buf = this.device.createBuffer({ size: u.size, usage: UNIFORM_USAGE, mappedAtCreation: true, label: `${k.name}-params` });
    new Uint8Array(buf.getMappedRange()).set(new Uint8Array(ui.buffer));
    buf.unmap();
    this.uniforms.set(key, { words: words.slice(), buf });
    return buf;
  }

  /** Retire the `n` least recently used parameter blocks (see uniformLimit). */
  private retireUniforms(n: number): void {
    for (const [key, e] of this.uniforms) {
      if (n-- <= 0) break;
      this.uniforms.delete(key);
      this.retired.push(e.buf);
    }
    // Bind groups name their parameter block: forget them all (rebuilt on a miss), so none holds a retired one.
    this.bindGroups.clear();
  }

  /**
   * The retired parameter blocks, handed over for destruction. The caller takes them just before it submits
   * what is recorded and destroys them once that work has finished: every command that used them was
   * recorded before they were retired.
   */
  takeRetired(): GPUBuffer[] {
    const r = this.retired;
    this.retired = [];
    return r;
  }

  /**
   * The bind group of one dispatch: `buffers` names each storage binding (by its WGSL variable name),
   * `params` fills the uniform struct by member name. Cached by kernel and bound buffers (ids, offsets,
   * sizes); the entries are built on a miss only.
   */
  bindGroup(k: Kernel, buffers: Record<string, BufferArg>, params: Params | null): GPUBindGroup {
    // The key words first, without building the entries (no objects per dispatch on a hit: the garbage of a
    // step is garbage-collection work during the next one).
    const bindings = k.bindings;
    const nw = 1 + 3 * bindings.length;
    if (this.bgWords.length < nw) this.bgWords = new Uint32Array(nw);
    if (this.bgBuffers.length < bindings.length) this.bgBuffers.length = bindings.length;
    const words = this.bgWords;
    const bufs = this.bgBuffers;
    words[0] = k.id;
    let w = 1;
    for (let j = 0; j < bindings.length; j++) {
      const b = bindings[j];
      let buf: GPUBuffer;
      let offset = 0;
      let size = 0xffffffff;
      if (b.kind === 'uniform') {
        if (!params) throw new Error(`kernel '${k.name}': parameters required`);
        buf = this.uniformBuffer(k, params);
      } else {
        const arg = buffers[b.name];
        if (!arg) throw new Error(`kernel '${k.name}': no buffer bound to '${b.name}'`);
        // Buffers seen before are known by id (no property probe of a native object); anything else is a
        // { buffer, offset, size } view or a buffer bound for the first time.
        if (this.ids.peek(arg) !== undefined || 'mapState' in arg) buf = arg as GPUBuffer;
        else {
          const v = arg as { buffer: GPUBuffer; offset?: number; size?: number };
          buf = v.buffer;
          offset = v.offset ?? 0;
          if (v.size !== undefined) size = v.size;
        }
      }
      bufs[j] = buf;
      words[w++] = this.ids.of(buf);
      words[w++] = offset;
      words[w++] = size;
    }
    const key = hashWords(words, nw);
    const hit = this.bindGroups.get(key);
    let bg = hit && sameWords(hit.words, words, nw) ? hit.bg : undefined;
    if (!bg) {
      const entries: GPUBindGroupEntry[] = bindings.map((b, j) => ({
        binding: b.binding,
        resource: b.kind === 'uniform'
          ? { buffer: bufs[j] }
          : { buffer: bufs[j], offset: words[2 + 3 * j], size: words[3 + 3 * j] === 0xffffffff ? undefined : words[3 + 3 * j] },
      }));

      bg = this.device.createBindGroup({ layout: k.layout, entries, label: k.name });
      if (this.bindGroups.size > 50000) this.bindGroups.clear();
      this.bindGroups.set(key, { words: words.slice(0, nw), bg });
    }
    for (let j = 0; j < bindings.length; j++) bufs[j] = undefined as unknown as GPUBuffer;
    return bg;
  }

  /** Forget the bind groups (they hold buffers the pool is about to destroy). */
  clearBindGroups(): void {
    this.bindGroups.clear();
  }
}
