// A Device: one WebGPU device and the tensors on it. Besides making tensors it runs the two kernels the
// tensor layer needs itself: fill (full/zeros/ones, the seed of backward) and the same-shape sum autograd
// adds gradients with. The ops layer builds on top of this; nothing here depends on it.
import { acquireDevice, type AdapterReport } from '../gpu/adapter.js';
import { kernel } from '../gpu/library.js';
import { Runtime, type MemoryStats } from '../gpu/runtime.js';
import { checkShape, fmtShape, sameShape, shapeSize, type Shape } from '../shape.js';
import { emptyLike, liveTensorCount, type Tensor } from './tensor.js';

export interface TensorOptions {
  requiresGrad?: boolean;
  name?: string;
}

export interface DeviceMemory extends MemoryStats {
  liveTensors: number;
}

/**
 * Items per invocation of the simple kernels (elementwise, reduce, fill, clamp, blur, masks), passed to them
 * as the constant E and used to size their dispatches. Lavapipe pays ~3 ns per invocation.
 */
export const ITEMS = 4;

/** Workgroup counts for n threads in groups of wg, folded into y past the 65535 limit. */
export function groups1d(n: number, wg: number): [number, number] {
  const total = Math.ceil(n / wg);
  if (total <= 65535) return [Math.max(total, 0), 1];
  const y = Math.ceil(total / 65535);
  return [Math.ceil(total / y), y];
}

/**
 * The element types T of unary.wgsl / binary.wgsl (vec4 when the size is a multiple of 4) with the u32 (U) and
 * bool (B) types of the same width, for their NaN test on the bits.
 */
export function elementTypes(v4: boolean): { T: string; U: string; B: string } {
  return v4 ? { T: 'vec4<f32>', U: 'vec4<u32>', B: 'vec4<bool>' } : { T: 'f32', U: 'u32', B: 'bool' };
}

/** binary.wgsl's OP code for a + b (the op table is in ops/elementwise.ts). */
const BINARY_ADD = 0;

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
    return new Device(new Runtime(a.device, a.report, a.keepAlive));
  }

  /** A tensor holding `data` (copied to the GPU). */
  tensor(data: Float32Array | readonly number[], shape: Shape, opts: TensorOptions = {}): Tensor {
    checkShape(shape, 'tensor');
    const n = shapeSize(shape);
    if (data.length !== n) throw new Error(`tensor: ${data.length} values do not fill shape ${fmtShape(shape)} (${n} elements)`);
    const t = emptyLike(this, shape);
    if (n) this.runtime.write(t.buffer, data instanceof Float32Array ? data : Float32Array.from(data));
    t.requiresGrad = !!opts.requiresGrad;
    if (opts.name) t.name = opts.name;
    return t;
  }

  /** A tensor of `shape` filled with `value` (on the GPU, no upload; +0 by clearBuffer, other values by a fill kernel). */
  full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
    const t = emptyLike(this, shape);
    if (t.size && Object.is(value, 0)) {
      // clearBuffer, not a dispatch (Chromium, SwiftShader: saliency 244 vs 253 ms, same page).
      this.runtime.clear(t.buffer, t.size * 4);
    } else if (t.size) {
      const n4 = Math.ceil(t.size / 4);
      const k = kernel(this.runtime, 'fill', { WG: 256, E: ITEMS });
      this.runtime.dispatch(k, { y: t.buffer }, { n4, value }, groups1d(Math.ceil(n4 / ITEMS), 256));
    }
    t.requiresGrad = !!opts.requiresGrad;
    return t;
  }

  zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
    return this.full(shape, 0, opts);
  }

  ones(shape: Shape, opts: TensorOptions = {}): Tensor {
    return this.full(shape, 1, opts);
  }

  /** @internal a + b for two tensors of one shape, no graph (autograd's gradient sums). */
  addSame(a: Tensor, b: Tensor): Tensor {
    if (!sameShape(a.shape, b.shape)) throw new Error(`internal: addSame of ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
    const out = emptyLike(this, a.shape);
    if (!out.size) return out;
    const v4 = out.size % 4 === 0;
    const n = v4 ? out.size / 4 : out.size;
    const k = kernel(this.runtime, 'binary', { ...elementTypes(v4), OP: BINARY_ADD, BCAST: 0, RANK: a.shape.length, WG: 256, E: ITEMS });
    const zeros = [0, 0, 0, 0, 0, 0, 0, 0];
    this.runtime.dispatch(k, { a: a.buffer, b: b.buffer, out: out.buffer }, { n, rank: a.shape.length, divA: 1, divB: 1, shape: zeros, sa: zeros, sb: zeros }, groups1d(Math.ceil(n / ITEMS), 256));
    return out;
  }

  /** GPU memory in use: live tensors, pooled and live buffers, bytes, peak. */
  memory(): DeviceMemory {
    return { ...this.runtime.memory(), liveTensors: liveTensorCount() };
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
