// GPU tensors: float32, row-major (NCHW for images), living in pooled GPU buffers.
import type { Runtime } from '../gpu/runtime.js';
import { checkShape, fmtShape, shapeSize, type Shape } from '../shape.js';
import { backward, isGradEnabled, record, type GradNode } from './autograd.js';
import { track, untrack, type Scoped } from './scope.js';
import type { Device } from './device.js';

/** A reference-counted GPU buffer: views (reshape) share one storage. */
export class Storage {
  private refs = 1;
  private onRelease: (() => void)[] | null = null;
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
  /** Call `fn` once, when the last reference is released (e.g. to free data derived from these bytes). */
  whenReleased(fn: () => void): void {
    (this.onRelease ??= []).push(fn);
  }
}

let nextId = 1;
let liveTensors = 0;

/** Tensors created and not yet disposed. */
export function liveTensorCount(): number {
  return liveTensors;
}

export class Tensor implements Scoped {
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
  /**
   * @internal A fused ReLU's output: the backward of the op that computed it starts by zeroing its gradient
   * where it is <= 0 (a NaN passes). A consumer whose own backward can zero that gradient for free may do so
   * and mark it with `maskedFor`; the producer then skips the pass (see GradNode's `free` in autograd.ts).
   */
  masksGrad = false;
  /** @internal On a gradient: already zero wherever this tensor (a `masksGrad` output) is <= 0. */
  maskedFor: Tensor | null = null;
  /** @internal */ _scope: Set<Scoped> | null = null;
  private storage: Storage | null;

  /** @internal use Device.tensor / ops. */
  constructor(device: Device, shape: Shape, storage: Storage, requiresGrad = false) {
    this.device = device;
    this.shape = Object.freeze([...shape]);
    this.size = shapeSize(shape);
    this.storage = storage;
    this.requiresGrad = requiresGrad;
    liveTensors++;
    track(this);
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
    untrack(this);
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
    if (this.requiresGrad && isGradEnabled()) {
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

/** @internal A new tensor with uninitialised storage. */
export function emptyLike(device: Device, shape: Shape): Tensor {
  checkShape(shape, 'tensor');
  const bytes = Math.max(4, shapeSize(shape) * 4);
  return new Tensor(device, shape, new Storage(device.runtime, device.runtime.acquire(bytes), bytes));
}
