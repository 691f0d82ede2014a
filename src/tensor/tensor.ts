// GPU tensors: float32, row-major (NCHW for images), living in pooled GPU buffers.
import type { Runtime, MemoryStats } from '../gpu/runtime.js';
import { acquireDevice, type AdapterReport } from '../gpu/adapter.js';
import { Runtime as RuntimeImpl } from '../gpu/runtime.js';

export type Shape = readonly number[];

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

function checkShape(shape: Shape, what: string): void {
  if (!Array.isArray(shape) && !(shape as unknown as { length?: number }).length) throw new Error(`${what}: shape must be an array of dimensions`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${what}: invalid shape ${fmtShape(shape)} (dimensions must be non-negative integers)`);
  }
}

/** A reference-counted GPU buffer: views (reshape) share one storage. */
export class Storage {
  private refs = 1;
  constructor(readonly runtime: Runtime, readonly buffer: GPUBuffer, readonly bytes: number) {}
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs !== 0) return;
    this.runtime.release(this.buffer);
    const fns = this.onRelease;
    this.onRelease = null;
    if (fns) for (const fn of fns) fn();
  }
  private onRelease: (() => void)[] | null = null;
  /** Call `fn` once, when the last reference is released (e.g. to free data derived from these bytes). */
  whenReleased(fn: () => void): void {
    (this.onRelease ??= []).push(fn);
  }
}

/** Something a graph node keeps alive until its output is disposed (e.g. max-pool argmax indices). */
export interface Saved {
  dispose(): void;
}

export type BackwardFn = (grad: Tensor, needs: readonly boolean[]) => readonly (Tensor | null | undefined)[];

export interface GradNode {
  op: string;
  inputs: readonly Tensor[];
  backward: BackwardFn;
  saved: Saved[];
}

// ---------- global autograd and scope state ----------

let gradEnabled = true;
const scopeStack: Set<Tensor>[] = [];
let liveTensors = 0;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording the graph (no gradients flow through what it computes). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

type Nested = Tensor | null | undefined | number | string | boolean | Nested[] | { [k: string]: Nested };

function collect(v: unknown, out: Set<Tensor>): void {
  if (v instanceof Tensor) out.add(v);
  else if (Array.isArray(v)) for (const x of v) collect(x, out);
  else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collect(x, out);
}

/**
 * Memory scope (like tfjs `tidy`): every tensor created inside `fn` is disposed when it returns, except the
 * tensors it returns (in an array or plain object too) and those passed to keep(). Returned tensors move to
 * the enclosing scope. `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopeStack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopeStack.pop();
    for (const t of scope) if (!t.disposed) t.dispose();
    throw e;
  }
  scopeStack.pop();
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    throw new Error('tidy() takes a synchronous function; await outside it and tidy each step');
  }
  const kept = new Set<Tensor>();
  collect(result, kept);
  const parent = scopeStack[scopeStack.length - 1] ?? null;
  for (const t of scope) {
    if (t.disposed) continue;
    if (kept.has(t)) {
      t._scope = parent;
      parent?.add(t);
    } else t.dispose();
  }
  return result;
}

/** Take a tensor out of every scope: it lives until disposed by hand. */
export function keep<T extends Tensor>(t: T): T {
  t._scope?.delete(t);
  t._scope = null;
  return t;
}

/** Dispose tensors (arrays and plain objects of tensors too). */
export function dispose(...xs: Nested[]): void {
  const s = new Set<Tensor>();
  collect(xs, s);
  for (const t of s) if (!t.disposed) t.dispose();
}

// ---------- Tensor ----------

let nextId = 1;

export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly size: number;
  readonly device: Device;
  requiresGrad: boolean;
  /** Gradient accumulated by backward() (for leaves, and tensors that called retainGrad()). */
  grad: Tensor | null = null;
  /** How this tensor was computed (null for leaves and for tensors computed without grad). */
  node: GradNode | null = null;
  /** Optional name, used in error messages and gradient traces. */
  name?: string;
  retainsGrad = false;
  /** @internal */ _scope: Set<Tensor> | null = null;
  private storage: Storage | null;

  /** @internal use Device.tensor / ops. */
  constructor(device: Device, shape: Shape, storage: Storage, requiresGrad = false) {
    this.device = device;
    this.shape = Object.freeze([...shape]);
    this.size = shapeSize(shape);
    this.storage = storage;
    this.requiresGrad = requiresGrad;
    liveTensors++;
    const scope = scopeStack[scopeStack.length - 1];
    if (scope) {
      scope.add(this);
      this._scope = scope;
    }
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.storage === null;
  }

  /** @internal The GPU buffer (throws after dispose). */
  get buffer(): GPUBuffer {
    return this.store().buffer;
  }

  /** @internal */
  store(): Storage {
    if (!this.storage) throw new Error(`use of a disposed tensor${this.name ? ` '${this.name}'` : ''} of shape ${fmtShape(this.shape)}`);
    return this.storage;
  }

  /** Free the GPU memory now (and the gradient's, and what the graph node saved). */
  dispose(): void {
    if (!this.storage) return;
    this.storage.release();
    this.storage = null;
    liveTensors--;
    this._scope?.delete(this);
    this._scope = null;
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
    if (this.node) {
      for (const s of this.node.saved) s.dispose();
      this.node = null;
    }
  }

  /** Copy the values to the CPU. */
  async toArray(): Promise<Float32Array> {
    const s = this.store();
    const bytes = await this.device.runtime.read(s.buffer, 0, this.size * 4);
    return new Float32Array(bytes);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item() needs a tensor with one element; got shape ${fmtShape(this.shape)}`);
    return (await this.toArray())[0];
  }

  /** Keep this tensor's gradient during backward() even though it is not a leaf. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** Drop the accumulated gradient. */
  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  /** A view of the same data with another shape (same number of elements); differentiable. */
  reshape(shape: Shape): Tensor {
    const sh = [...shape];
    const neg = sh.indexOf(-1);
    if (neg >= 0) {
      const rest = shapeSize(sh.filter((_, i) => i !== neg));
      sh[neg] = rest === 0 ? 0 : this.size / rest;
    }
    checkShape(sh, 'reshape');
    if (shapeSize(sh) !== this.size) throw new Error(`reshape: cannot view shape ${fmtShape(this.shape)} (${this.size} elements) as ${fmtShape(shape)}`);
    const out = new Tensor(this.device, sh, this.store().retain());
    if (this.requiresGrad && gradEnabled) {
      const src = this.shape;
      record(out, 'reshape', [this], (g) => [g.reshape(src)]);
    }
    return out;
  }

  /** A tensor sharing this data with no graph history. */
  detach(): Tensor {
    return new Tensor(this.device, this.shape, this.store().retain());
  }

  /** Reverse-mode: gradients of this one-element tensor for every leaf that requires grad. */
  backward(): void {
    backward(this);
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''}${this.node ? `, op=${this.node.op}` : ''})`;
  }
}

/** @internal Attach a graph node to `out` if any input needs a gradient and grad mode is on. */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: BackwardFn, saved: Saved[] = []): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, backward, saved };
  } else {
    for (const s of saved) s.dispose();
  }
  return out;
}

/** @internal A new tensor with uninitialised storage. */
export function emptyLike(device: Device, shape: Shape): Tensor {
  checkShape(shape, 'tensor');
  const bytes = Math.max(4, shapeSize(shape) * 4);
  return new Tensor(device, shape, new Storage(device.runtime, device.runtime.acquire(bytes), bytes));
}

// ---------- autograd ----------

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: SqueezeNet graphs are shallow, but long loops of ops must not overflow the stack.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const inp = inputs[i];
      if (inp.requiresGrad && !seen.has(inp)) {
        seen.add(inp);
        stack.push([inp, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Gradients of `root` (one element, or pass `seed` of root's shape) with respect to `wrt`, without touching
 * `.grad`. The returned tensors belong to the caller (or the enclosing scope). A tensor in `wrt` that
 * `root` does not depend on gets zeros.
 */
export function grad(root: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  const res = runBackward(root, seed, new Set(wrt), false);
  return wrt.map((t) => res.get(t) ?? root.device.zeros(t.shape));
}

/** backward(): accumulate d root / d leaf into `.grad` for every leaf (and retainGrad tensor) that requires grad. */
export function backward(root: Tensor, seed?: Tensor): void {
  runBackward(root, seed, null, true);
}

function runBackward(root: Tensor, seed: Tensor | undefined, want: Set<Tensor> | null, accumulate: boolean): Map<Tensor, Tensor> {
  root.store();
  if (!seed && root.size !== 1) {
    throw new Error(`backward() needs a scalar (one-element) tensor; got shape ${fmtShape(root.shape)} from ${root.node?.op ?? 'a leaf'} — reduce it first with sum() or mean()`);
  }
  if (seed && (seed.size !== root.size)) throw new Error(`backward(): seed of shape ${fmtShape(seed.shape)} does not match ${fmtShape(root.shape)}`);
  if (!root.requiresGrad) throw new Error('backward(): the tensor does not require grad (no input with requiresGrad, or computed under noGrad)');
  const device = root.device;
  const results = new Map<Tensor, Tensor>();
  noGrad(() => {
    const order = topoOrder(root);
    const grads = new Map<Tensor, Tensor>();
    grads.set(root, seed ? seed.reshape(root.shape) : device.full(root.shape, 1));
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      let consumed = false;
      if (want ? want.has(t) : !t.node || t.retainsGrad) {
        if (want) results.set(t, g);
        else if (accumulate) {
          if (t.grad) {
            const sum = device.add(t.grad, g);
            t.grad.dispose();
            t.grad = keep(sum);
          } else t.grad = keep(g.detach());
        }
        consumed = !!want;
      }
      if (t.node) {
        const node = t.node;
        for (const inp of node.inputs) {
          if (inp.disposed) {
            throw new Error(`backward(): ${node.op} needs its input of shape ${fmtShape(inp.shape)}, which was disposed (by tidy() or dispose()); call backward() inside the tidy() that built the graph, or keep() the intermediates`);
          }
        }
        const needs = node.inputs.map((i) => i.requiresGrad);
        const gin = node.backward(g, needs);
        const seen = new Set<Tensor>();
        node.inputs.forEach((inp, i) => {
          let gi = gin[i];
          if (!needs[i] || !gi) {
            if (gi && gi !== g && !seen.has(gi)) gi.dispose();
            return;
          }
          if (gi === g || seen.has(gi)) gi = gi.detach(); // a shared view, so each owner can dispose its own
          seen.add(gi);
          if (gi.shape.length !== inp.shape.length || gi.shape.some((d, j) => d !== inp.shape[j])) {
            if (gi.size !== inp.size) throw new Error(`internal: backward of ${node.op} gave a gradient of shape ${fmtShape(gi.shape)} for an input of shape ${fmtShape(inp.shape)}`);
            const r = gi.reshape(inp.shape);
            gi.dispose();
            gi = r;
          }
          const prev = grads.get(inp);
          if (prev) {
            grads.set(inp, device.add(prev, gi));
            prev.dispose();
            gi.dispose();
          } else grads.set(inp, gi);
        });
      }
      if (!consumed) g.dispose();
    }
    for (const g of grads.values()) g.dispose();
  });
  return results;
}

// ---------- Device ----------

export interface TensorOptions {
  requiresGrad?: boolean;
  name?: string;
}

export interface DeviceMemory extends MemoryStats {
  liveTensors: number;
}

/** Elementwise add used by autograd accumulation; installed by the ops layer (keeps imports pointing down). */
type AddFn = (a: Tensor, b: Tensor) => Tensor;
let addImpl: AddFn | null = null;
/** @internal */
export function installAccumulate(fn: AddFn): void {
  addImpl = fn;
}
type FillFn = (device: Device, shape: Shape, value: number) => Tensor;
let fillImpl: FillFn | null = null;
/** @internal */
export function installFill(fn: FillFn): void {
  fillImpl = fn;
}

export class Device {
  readonly runtime: Runtime;
  readonly adapter: AdapterReport;

  private constructor(runtime: Runtime) {
    this.runtime = runtime;
    this.adapter = runtime.report;
  }

  /** Acquire a WebGPU device (Dawn in Node, navigator.gpu in a browser). */
  static async create(opts: { powerPreference?: GPUPowerPreference } = {}): Promise<Device> {
    const a = await acquireDevice(opts);
    return new Device(new RuntimeImpl(a.device, a.report, a.keepAlive));
  }

  /** A tensor holding `data` (copied to the GPU). */
  tensor(data: Float32Array | readonly number[], shape: Shape, opts: TensorOptions = {}): Tensor {
    checkShape(shape, 'tensor');
    const n = shapeSize(shape);
    if (data.length !== n) throw new Error(`tensor: ${data.length} values do not fill shape ${fmtShape(shape)} (${n} elements)`);
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    const t = emptyLike(this, shape);
    if (n) this.runtime.write(t.buffer, arr);
    t.requiresGrad = !!opts.requiresGrad;
    if (opts.name) t.name = opts.name;
    return t;
  }

  /** A tensor of `shape` filled with `value` (on the GPU, no upload). */
  full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
    if (!fillImpl) throw new Error('ops not loaded');
    const t = fillImpl(this, shape, value);
    t.requiresGrad = !!opts.requiresGrad;
    return t;
  }

  zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
    return this.full(shape, 0, opts);
  }

  ones(shape: Shape, opts: TensorOptions = {}): Tensor {
    return this.full(shape, 1, opts);
  }

  /** @internal elementwise sum used by autograd. */
  add(a: Tensor, b: Tensor): Tensor {
    if (!addImpl) throw new Error('ops not loaded');
    return addImpl(a, b);
  }

  /** GPU memory in use: live tensors, pooled and live buffers, bytes, peak. */
  memory(): DeviceMemory {
    return { ...this.runtime.memory(), liveTensors };
  }

  /** Wait for all submitted GPU work. */
  sync(): Promise<void> {
    return this.runtime.sync();
  }

  /** Release the device. In Node this lets the process exit. */
  destroy(): void {
    this.runtime.destroy();
  }
}
