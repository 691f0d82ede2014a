// The GPU runtime: pooled buffers, cached pipelines (bind group layouts reflected from the WGSL with
// wgsl_reflect), batched dispatches in one command encoder, and read-back only when awaited.
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { isCpuAdapter, type AdapterReport } from './adapter.js';

// GPUBufferUsage flag values, spelled out: the constants object is not a global in every Node setup.
const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */
const UNIFORM_USAGE = 0x40 /* UNIFORM */ | 0x08; /* COPY_DST */
const READ_USAGE = 0x01 /* MAP_READ */ | 0x08; /* COPY_DST */
const QUERY_RESOLVE = 0x200 /* QUERY_RESOLVE */ | 0x04;

/** Round a byte size up to a pool bucket: 4 steps per power of two (at most 25% waste), minimum 256 bytes. */
export function bucketSize(bytes: number): number {
  const b = Math.max(256, bytes);
  const p = 2 ** Math.floor(Math.log2(b));
  if (p === b) return b;
  const step = p / 4;
  return Math.ceil(b / step) * step;
}

export interface MemoryStats {
  /** Buffers handed out and not yet released (held by tensors or kernels). */
  liveBuffers: number;
  liveBytes: number;
  /** Buffers kept in the pool for reuse. */
  pooledBuffers: number;
  pooledBytes: number;
  /** Everything currently allocated on the device by the pool (live + pooled). */
  allocatedBytes: number;
  /** High-water mark of allocatedBytes since the last resetPeak(). */
  peakBytes: number;
  /** Cached uniform buffers (one per distinct parameter block). */
  uniformBuffers: number;
}

interface Binding { name: string; binding: number; kind: 'storage-read' | 'storage' | 'uniform' }
interface UniformMember { name: string; offset: number; size: number; type: string; count: number }

export interface Kernel {
  name: string;
  /** Unique per pipeline (name + constants). */
  id: number;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  bindings: Binding[];
  uniform: { name: string; size: number; members: UniformMember[] } | null;
  workgroupSize: [number, number, number];
}

export interface KernelTiming { name: string; ms: number }

type BufferArg = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

interface ReflectInfo {
  bindings: Binding[];
  uniform: Kernel['uniform'];
  workgroupSize: Map<string, (string | number)[]>;
}

const reflectCache = new Map<string, ReflectInfo>();

function reflect(source: string, name: string): ReflectInfo {
  let r = reflectCache.get(source);
  if (r) return r;
  let ref: WgslReflect;
  try {
    ref = new WgslReflect(source);
  } catch (e) {
    throw new Error(`kernel '${name}': WGSL reflection failed: ${(e as Error).message}`);
  }
  const bindings: Binding[] = [];
  for (const s of ref.storage) {
    if (s.group !== 0) throw new Error(`kernel '${name}': only @group(0) is supported (${s.name})`);
    bindings.push({ name: s.name, binding: s.binding, kind: String(s.access) === 'read' ? 'storage-read' : 'storage' });
  }
  let uniform: Kernel['uniform'] = null;
  for (const u of ref.uniforms) {
    if (uniform) throw new Error(`kernel '${name}': at most one uniform block is supported`);
    bindings.push({ name: u.name, binding: u.binding, kind: 'uniform' });
    const members: UniformMember[] = [];
    for (const m of (u as unknown as { members: { name: string; offset: number; size: number; type: { name: string; format?: unknown; count?: number } }[] }).members ?? []) {
      let t = m.type;
      while (t.format) t = t.format as typeof t;
      const scalar = t.name;
      members.push({ name: m.name, offset: m.offset, size: m.size, type: scalar, count: m.size / 4 });
    }
    uniform = { name: u.name, size: Math.max(16, Math.ceil(u.size / 16) * 16), members };
  }
  bindings.sort((a, b) => a.binding - b.binding);
  if (!ref.entry.compute.length) throw new Error(`kernel '${name}': no compute entry point`);
  const workgroupSize = new Map<string, (string | number)[]>();
  for (const entry of ref.entry.compute) {
    const ws = ((entry as unknown as { attributes?: { name: string; value: unknown }[] }).attributes ?? [])
      .find((a) => a.name === 'workgroup_size')?.value;
    workgroupSize.set(entry.name, (Array.isArray(ws) ? ws : ws !== undefined ? [ws] : [1]) as (string | number)[]);
  }
  r = { bindings, uniform, workgroupSize };
  reflectCache.set(source, r);
  return r;
}

/** Samples an idle-wait estimate keeps (see nextWaitEstimate). */
export const WAIT_WINDOW = 4;

/**
 * The next estimate of a batch's completion time from its recent samples (updated in place): the measured time
 * when the wait was real, or, when the sleep overslept (the work was done before it ended), 70% of the current
 * estimate. The estimate is the smallest of the last WAIT_WINDOW samples, so one slow run (a busy machine, a
 * pipeline compile) does not inflate the runs after it; a lasting slow-down shows once it fills the window.
 */
export function nextWaitEstimate(samples: number[], measuredMs: number, overslept: boolean): number {
  const cur = samples.length ? Math.min(...samples) : measuredMs;
  samples.push(overslept ? cur * 0.7 : measuredMs);
  while (samples.length > WAIT_WINDOW) samples.shift();
  return Math.min(...samples);
}

export class Runtime {
  readonly device: GPUDevice;
  readonly report: AdapterReport;
  /** Dawn's create() result: the device crashes if it is collected while in use. */
  private keepAlive: unknown;

  private free = new Map<number, GPUBuffer[]>();
  private sizes = new WeakMap<GPUBuffer, number>();
  private live = new Set<GPUBuffer>();
  private stats = { liveBytes: 0, pooledBytes: 0, pooledBuffers: 0, peak: 0 };
  private readPool: GPUBuffer[] = [];
  private kernels = new Map<string, Kernel>();
  private uniforms = new Map<string, GPUBuffer>();
  /** Staging buffers of small uploads recorded between dispatches (see write), by content. */
  private stagedWrites = new Map<string, GPUBuffer>();
  private stagedBytes = 0;
  private bindGroups = new Map<string, GPUBindGroup>();
  private bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pending = 0;
  private error: Error | null = null;
  private checks: Promise<void>[] = [];
  /**
   * Waiting without spinning. dawn.node resolves mapAsync / onSubmittedWorkDone by polling the device in a busy
   * loop on the main thread; on a CPU adapter (lavapipe, SwiftShader in Node) that loop takes a core from the
   * driver's worker threads and roughly halves their speed. So before a wait is handed to Dawn the runtime
   * sleeps (setTimeout) for 90% of the time the same work took before: a batch (the submits since the last
   * wait) is keyed by its kernel sequence (see afterWait for how its estimate follows the measured times).
   * Off on GPUs and in browsers (`idleWaits`): a browser waits in its GPU process, and in headless Chromium on
   * SwiftShader idle waits measured no gain.
   */
  idleWaits: boolean;
  private batchIds: number[] = [];
  private batchStart = 0;
  private waitEstimates = new Map<string, number>();
  private waitSamples = new Map<string, number[]>();
  /** The shortest hand-off seen: how long a wait takes when the work is already done (dawn.node <1 ms, more elsewhere). */
  private waitFloor = Infinity;

  // Profiling with timestamp queries (when the adapter has them).
  private profiling = false;
  private querySet: GPUQuerySet | null = null;
  private queryNames: string[] = [];
  private timings: Promise<KernelTiming[]>[] = [];
  private readonly maxQueries = 4096;

  /** Number of command buffers submitted (for tests and benchmarks). */
  submits = 0;
  /** Number of dispatches recorded. */
  dispatches = 0;

  constructor(device: GPUDevice, report: AdapterReport, keepAlive: unknown) {
    this.device = device;
    this.report = report;
    this.idleWaits = isCpuAdapter(report) && report.runtime === 'node';
    this.keepAlive = keepAlive;
    device.addEventListener?.('uncapturederror', (ev: Event) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.error ??= new Error(`GPU error: ${err.message}`);
    });
    device.lost.then((info) => {
      if (info.reason !== 'destroyed') this.error ??= new Error(`GPU device lost (${info.reason}): ${info.message}`);
      else this.error ??= new Error('GPU device was destroyed');
    });
  }

  get hasTimestamps(): boolean {
    return this.device.features.has('timestamp-query');
  }

  private check(): void {
    if (this.error) throw this.error;
  }

  // ---------- buffers ----------

  /** A storage buffer of at least `bytes` bytes from the pool. Contents are undefined. */
  acquire(bytes: number): GPUBuffer {
    this.check();
    const size = bucketSize(bytes);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.stats.pooledBytes -= size;
      this.stats.pooledBuffers--;
    } else {
      const limit = this.device.limits.maxStorageBufferBindingSize;
      if (size > limit) throw new Error(`buffer of ${bytes} bytes exceeds the adapter's maxStorageBufferBindingSize (${limit})`);
      buf = this.device.createBuffer({ size, usage: STORAGE_USAGE, label: `pool-${size}` });
      this.sizes.set(buf, size);
      this.bufferIds.set(buf, this.nextBufferId++);
    }
    this.live.add(buf);
    this.stats.liveBytes += size;
    const total = this.stats.liveBytes + this.stats.pooledBytes;
    if (total > this.stats.peak) this.stats.peak = total;
    return buf;
  }

  /** Give a buffer back to the pool. Commands already recorded that use it still run first (queue order). */
  release(buf: GPUBuffer): void {
    if (!this.live.delete(buf)) throw new Error('release of a buffer that is not live (double dispose?)');
    const size = this.sizes.get(buf)!;
    this.stats.liveBytes -= size;
    this.stats.pooledBytes += size;
    this.stats.pooledBuffers++;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
  }

  /** Destroy all pooled (unused) buffers. */
  trim(): void {
    this.flush();
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.stats.pooledBytes = 0;
    this.stats.pooledBuffers = 0;
    this.bindGroups.clear();
  }

  memory(): MemoryStats {
    return {
      liveBuffers: this.live.size,
      liveBytes: this.stats.liveBytes,
      pooledBuffers: this.stats.pooledBuffers,
      pooledBytes: this.stats.pooledBytes,
      allocatedBytes: this.stats.liveBytes + this.stats.pooledBytes,
      peakBytes: this.stats.peak,
      uniformBuffers: this.uniforms.size,
    };
  }

  resetPeak(): void {
    this.stats.peak = this.stats.liveBytes + this.stats.pooledBytes;
  }

  /**
   * Upload data into a buffer, in command order. With nothing recorded: queue.writeBuffer. With commands
   * recorded and a small upload (<= 16 KiB, a multiple of 4 bytes: class indices, gather lists): a copy from a
   * staging buffer holding the same bytes (cached by content, like the parameter blocks), recorded in the
   * encoder, so the step is not cut into two submits. Otherwise the pending commands are submitted first so
   * that the write cannot overtake them.
   */
  write(buf: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.check();
    if (this.pending && data.byteLength <= 16384 && data.byteLength % 4 === 0 && offset % 4 === 0 && data.byteLength > 0) {
      const words = new Uint32Array(data.buffer, data.byteOffset, data.byteLength / 4);
      let key = '';
      for (let j = 0; j < words.length; j++) key += `${words[j]},`;
      let src = this.stagedWrites.get(key);
      if (!src) {
        src = this.device.createBuffer({ size: data.byteLength, usage: 0x04 /* COPY_SRC */, mappedAtCreation: true, label: 'upload' });
        new Uint8Array(src.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        src.unmap();
        // Many distinct uploads (over 4 MiB held): drop the cache and let GC reclaim the buffers.
        if (this.stagedBytes > 4 << 20) {
          this.stagedWrites.clear();
          this.stagedBytes = 0;
        }
        this.stagedWrites.set(key, src);
        this.stagedBytes += data.byteLength;
      }
      this.copy(src, 0, buf, offset, data.byteLength);
      return;
    }
    if (this.pending) this.flush();
    this.device.queue.writeBuffer(buf, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Copy bytes between buffers, in command order. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.check();
    this.endPass();
    this.enc().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.pending++;
  }

  /** Read bytes back. Submits everything recorded so far; resolves when the GPU is done. */
  async read(buf: GPUBuffer, byteOffset: number, bytes: number): Promise<ArrayBuffer> {
    this.check();
    const size = Math.max(16, Math.ceil(bytes / 4) * 4);
    const staging = this.readPool.find((b) => b.size >= size) ?? this.device.createBuffer({ size: bucketSize(size), usage: READ_USAGE, label: 'readback' });
    this.readPool = this.readPool.filter((b) => b !== staging);
    this.endPass();
    this.enc().copyBufferToBuffer(buf, byteOffset, staging, 0, size);
    this.pending++;
    this.flush();
    await this.awaitChecks();
    const key = await this.beforeWait();
    try {
      await staging.mapAsync(0x0001 /* READ */, 0, size);
    } catch (e) {
      this.check();
      throw new Error(`GPU read-back failed: ${(e as Error).message}`);
    }
    this.afterWait(key);
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    if (this.readPool.length < 8) this.readPool.push(staging);
    else staging.destroy();
    this.check();
    return out;
  }

  /** Resolves when all submitted work has finished. */
  async sync(): Promise<void> {
    this.flush();
    const key = await this.beforeWait();
    await this.device.queue.onSubmittedWorkDone();
    this.afterWait(key);
    await this.awaitChecks();
    this.check();
  }

  /**
   * Sleeps for most of the expected time of the submitted batch (see idleWaits) and claims the batch: a wait
   * that starts meanwhile (several reads at once) neither sleeps nor times it.
   */
  private async beforeWait(): Promise<{ key: string; start: number; waitStart: number } | null> {
    if (!this.idleWaits || !this.batchStart) return null;
    const key = this.batchIds.join(',');
    const start = this.batchStart;
    this.batchIds = [];
    this.batchStart = 0;
    const est = this.waitEstimates.get(key);
    if (est !== undefined) {
      const left = est * 0.9 - (performance.now() - start);
      if (left >= 1) await new Promise((r) => setTimeout(r, left));
    }
    return { key, start, waitStart: performance.now() };
  }

  /**
   * Updates the batch's estimate (see nextWaitEstimate): the completion time when Dawn had to wait (the work
   * ended while it polled); when the work was already done after the sleep (the hand-off took no longer than
   * the shortest one seen, + 1 ms) it overslept, and the estimate is lowered.
   */
  private afterWait(w: { key: string; start: number; waitStart: number } | null): void {
    if (!w) return;
    const now = performance.now();
    const handoff = now - w.waitStart;
    this.waitFloor = Math.min(this.waitFloor, handoff);
    const overslept = this.waitSamples.has(w.key) && handoff < this.waitFloor + 1;
    if (this.waitEstimates.size > 1000) {
      this.waitEstimates.clear();
      this.waitSamples.clear();
    }
    const samples = this.waitSamples.get(w.key) ?? [];
    const est = nextWaitEstimate(samples, now - w.start, overslept);
    this.waitSamples.set(w.key, samples);
    if (est < 10_000) this.waitEstimates.set(w.key, est);
    else this.waitEstimates.delete(w.key);
  }

  private async awaitChecks(): Promise<void> {
    if (!this.checks.length) return;
    const c = this.checks;
    this.checks = [];
    await Promise.all(c);
  }

  // ---------- kernels ----------

  /**
   * A compute pipeline for `source` specialised with `constants` (WGSL `override`s). Cached.
   * Its bind group layout is built from the reflected bindings of the shader.
   */
  kernel(name: string, source: string, constants: Record<string, number> = {}, entryPoint = 'main'): Kernel {
    // Fast path (this runs on every dispatch): the pipelines of this name, compared by entry point, source
    // length and constant values, without building a string key.
    const byName = this.kernelsByName.get(name);
    if (byName) {
      next: for (const e of byName) {
        if (e.entryPoint !== entryPoint || e.sourceLength !== source.length) continue;
        let n = 0;
        for (const c in constants) {
          if (e.constants[c] !== constants[c]) continue next;
          n++;
        }
        if (n === e.count) return e.kernel;
      }
    }
    const ckeys = Object.keys(constants).sort();
    const key = `${name}|${entryPoint}|${ckeys.map((c) => `${c}=${constants[c]}`).join(',')}|${source.length}`;
    let k = this.kernels.get(key);
    if (k) {
      this.rememberKernel(name, entryPoint, source.length, constants, k);
      return k;
    }
    const info = reflect(source, name);
    const device = this.device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: source, label: name });
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
      compute: { module, entryPoint, constants },
    });
    const labelled = device.popErrorScope().then(async (err) => {
      if (!err) return;
      let detail = err.message;
      try {
        const ci = await module.getCompilationInfo();
        const msgs = ci.messages.filter((m) => m.type === 'error').map((m) => `  line ${m.lineNum}:${m.linePos} ${m.message}`);
        if (msgs.length) detail += '\n' + msgs.join('\n');
      } catch { /* compilation info not available */ }
      this.error ??= new Error(`kernel '${name}' failed to build: ${detail}`);
    });
    this.checks.push(labelled);
    const wsz = info.workgroupSize.get(entryPoint);
    if (!wsz) throw new Error(`kernel '${name}': no compute entry point '${entryPoint}'`);
    const wg = wsz.map((v) => (typeof v === 'number' ? v : Number(constants[v] ?? NaN)));
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
    this.rememberKernel(name, entryPoint, source.length, constants, k);
    return k;
  }

  private kernelsByName = new Map<string, { entryPoint: string; sourceLength: number; constants: Record<string, number>; count: number; kernel: Kernel }[]>();

  private rememberKernel(name: string, entryPoint: string, sourceLength: number, constants: Record<string, number>, kernel: Kernel): void {
    let list = this.kernelsByName.get(name);
    if (!list) this.kernelsByName.set(name, (list = []));
    list.push({ entryPoint, sourceLength, constants: { ...constants }, count: Object.keys(constants).length, kernel });
  }

  /**
   * Per kernel: a scratch parameter block (zeroed and refilled per dispatch, no allocation) and its members
   * without the padding, with the typed view each one is written through.
   */
  private paramScratch = new Map<number, { ui: Uint32Array; members: { m: UniformMember; arr: Float32Array | Int32Array | Uint32Array }[] }>();

  private uniformBuffer(k: Kernel, params: Record<string, number | readonly number[]>): GPUBuffer {
    const u = k.uniform!;
    let sc = this.paramScratch.get(k.id);
    if (!sc) {
      const bytes = new ArrayBuffer(u.size);
      const f = new Float32Array(bytes);
      const i = new Int32Array(bytes);
      const ui = new Uint32Array(bytes);
      const members = u.members.filter((m) => !m.name.startsWith('_')) // padding
        .map((m) => ({ m, arr: m.type === 'f32' ? f : m.type === 'i32' ? i : ui }));
      sc = { ui, members };
      this.paramScratch.set(k.id, sc);
    }
    const ui = sc.ui;
    ui.fill(0);
    for (const { m, arr } of sc.members) {
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
    let key = `${k.id}:`;
    for (let j = 0; j < ui.length; j++) key += `${ui[j]},`;
    let buf = this.uniforms.get(key);
    if (!buf) {
      buf = this.device.createBuffer({ size: u.size, usage: UNIFORM_USAGE, mappedAtCreation: true, label: `${k.name}-params` });
      new Uint8Array(buf.getMappedRange()).set(new Uint8Array(ui.buffer));
      buf.unmap();
      this.bufferIds.set(buf, this.nextBufferId++);
      if (this.uniforms.size > 20000) this.uniforms.clear(); // runaway distinct parameters: let GC reclaim
      this.uniforms.set(key, buf);
    }
    return buf;
  }

  /**
   * Record one dispatch of `k`. `buffers` names each storage binding (by its WGSL variable name);
   * `params` fills the uniform struct by member name. Nothing runs until flush() or a read.
   */
  dispatch(
    k: Kernel,
    buffers: Record<string, BufferArg>,
    params: Record<string, number | readonly number[]> | null,
    groups: readonly [number, number?, number?],
  ): void {
    this.check();
    const [gx, gy = 1, gz = 1] = groups;
    if (gx === 0 || gy === 0 || gz === 0) return;
    const maxG = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (gx > maxG || gy > maxG || gz > maxG) throw new Error(`kernel '${k.name}': dispatch (${gx},${gy},${gz}) exceeds ${maxG} workgroups per dimension`);
    // The bind group is cached by kernel and bound buffers (ids, offsets, sizes); entries are built on a miss only.
    const bound: ({ buffer: GPUBuffer; offset?: number; size?: number })[] = [];
    let bgKey = `${k.id}#`;
    for (const b of k.bindings) {
      let res: { buffer: GPUBuffer; offset?: number; size?: number };
      if (b.kind === 'uniform') {
        if (!params) throw new Error(`kernel '${k.name}': parameters required`);
        res = { buffer: this.uniformBuffer(k, params) };
      } else {
        const arg = buffers[b.name];
        if (!arg) throw new Error(`kernel '${k.name}': no buffer bound to '${b.name}'`);
        const id = this.bufferIds.get(arg as GPUBuffer);
        // Pool and uniform buffers are known by id; anything else is a { buffer, offset, size } view or a foreign buffer.
        res = id !== undefined ? { buffer: arg as GPUBuffer } : 'mapState' in arg ? { buffer: arg as GPUBuffer } : (arg as { buffer: GPUBuffer; offset?: number; size?: number });
      }
      bound.push(res);
      bgKey += `${this.bufferIds.get(res.buffer) ?? -1}:${res.offset ?? 0}:${res.size ?? -1},`;
    }
    let bg = this.bindGroups.get(bgKey);
    if (!bg) {
      const entries: GPUBindGroupEntry[] = k.bindings.map((b, j) => ({
        binding: b.binding,
        resource: b.kind === 'uniform' ? { buffer: bound[j].buffer } : { buffer: bound[j].buffer, offset: bound[j].offset ?? 0, size: bound[j].size },
      }));
      bg = this.device.createBindGroup({ layout: k.layout, entries, label: k.name });
      if (this.bindGroups.size > 50000) this.bindGroups.clear();
      this.bindGroups.set(bgKey, bg);
    }
    let pass: GPUComputePassEncoder;
    if (this.profiling && this.querySet && this.queryNames.length + 2 <= this.maxQueries) {
      this.endPass();
      const q = this.queryNames.length;
      this.queryNames.push(k.name, '');
      pass = this.enc().beginComputePass({ timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: q, endOfPassWriteIndex: q + 1 } });
      pass.setPipeline(k.pipeline);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(gx, gy, gz);
      pass.end();
    } else {
      pass = this.pass ?? (this.pass = this.enc().beginComputePass());
      pass.setPipeline(k.pipeline);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(gx, gy, gz);
    }
    this.pending++;
    this.dispatches++;
    if (this.idleWaits) this.batchIds.push(k.id);
  }

  private enc(): GPUCommandEncoder {
    return this.encoder ?? (this.encoder = this.device.createCommandEncoder({ label: 'gradsight' }));
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Submit everything recorded so far as one command buffer. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    let resolveBuf: GPUBuffer | null = null;
    let names: string[] = [];
    if (this.profiling && this.querySet && this.queryNames.length) {
      const n = this.queryNames.length;
      resolveBuf = this.device.createBuffer({ size: n * 8, usage: QUERY_RESOLVE });
      this.encoder.resolveQuerySet(this.querySet, 0, n, resolveBuf, 0);
      names = this.queryNames;
      this.queryNames = [];
    }
    const cb = this.encoder.finish();
    this.encoder = null;
    this.pending = 0;
    this.device.queue.submit([cb]);
    if (!this.batchStart) this.batchStart = performance.now();
    this.submits++;
    if (resolveBuf) {
      const rb = resolveBuf;
      const staging = this.device.createBuffer({ size: rb.size, usage: READ_USAGE });
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(rb, 0, staging, 0, rb.size);
      this.device.queue.submit([enc.finish()]);
      this.timings.push(
        staging.mapAsync(0x0001).then(() => {
          const t = new BigUint64Array(staging.getMappedRange().slice(0));
          staging.unmap();
          staging.destroy();
          rb.destroy();
          const out: KernelTiming[] = [];
          for (let q = 0; q < names.length; q += 2) out.push({ name: names[q], ms: Number(t[q + 1] - t[q]) / 1e6 });
          return out;
        }),
      );
    }
  }

  /** Turn per-dispatch GPU timestamps on or off (no-op without the timestamp-query feature). */
  setProfiling(on: boolean): boolean {
    if (on && !this.hasTimestamps) return false;
    this.flush();
    this.profiling = on;
    if (on && !this.querySet) this.querySet = this.device.createQuerySet({ type: 'timestamp', count: this.maxQueries });
    return on;
  }

  /** Per-dispatch GPU times recorded since the last call (awaits their resolution). */
  async takeTimings(): Promise<KernelTiming[]> {
    this.flush();
    const t = this.timings;
    this.timings = [];
    return (await Promise.all(t)).flat();
  }

  destroy(): void {
    this.flush();
    this.device.destroy();
    this.keepAlive = null;
  }
}
