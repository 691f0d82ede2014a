// The command queue: dispatches recorded into one command encoder (one compute pass between copies), submitted
// as one command buffer by flush(), and waits that poll dawn.node quietly instead of spinning on CPU adapters.
import type { Kernel } from './kernels.js';
import type { Profiler } from './profiler.js';

/**
 * Polling dawn.node quietly. While any mapAsync / onSubmittedWorkDone is pending, dawn.node ticks the device
 * from a setImmediate loop on the main thread: a busy loop that, on a CPU adapter (lavapipe, SwiftShader in
 * Node), takes a core from the driver's worker threads and roughly halves their speed. While one of our waits
 * is pending, quietTicks() routes the ticks that loop hands to the global setImmediate (native functions) to
 * setTimeout(..., 1) instead: Dawn is polled about once per millisecond and the core stays with the driver.
 * JavaScript callbacks of setImmediate pass through untouched; the global is restored when the last such wait
 * ends. (A saliency step on lavapipe, 14 runs: median 73.5 ms polled this way vs 117 ms spinning.)
 */
type SetImmediate = (fn: (...a: unknown[]) => void, ...a: unknown[]) => unknown;
let quietWaits = 0;
let nodeSetImmediate: SetImmediate | null = null;
let quiet: SetImmediate | null = null;

function isNative(fn: unknown): boolean {
  return typeof fn === 'function' && Function.prototype.toString.call(fn).includes('[native code]');
}

/** Start routing native setImmediate ticks through a 1 ms timer; returns the function that ends it. */
function quietTicks(): () => void {
  const g = globalThis as unknown as { setImmediate?: SetImmediate };
  if (typeof g.setImmediate !== 'function') return () => {};
  if (quietWaits++ === 0) {
    const real = (nodeSetImmediate = g.setImmediate);
    g.setImmediate = quiet = (fn, ...args) => (isNative(fn) ? setTimeout(fn, 1, ...args) : real(fn, ...args));
  }
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    if (--quietWaits === 0) {
      // Put the original back unless someone replaced ours meanwhile (fake timers, another shim).
      if (g.setImmediate === quiet) g.setImmediate = nodeSetImmediate!;
      nodeSetImmediate = quiet = null;
    }
  };
}

export class Queue {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Commands recorded since the last submit. */
  pending = 0;
  /** Command buffers submitted (for tests and benchmarks). */
  submits = 0;
  /** Dispatches recorded. */
  dispatches = 0;
  /**
   * Waits without spinning (see quietTicks): on for CPU adapters in Node. Off on GPUs (a 1 ms poll would add to
   * a few-millisecond step) and in browsers (a browser waits in its GPU process).
   */
  idleWaits: boolean;

  constructor(private readonly device: GPUDevice, private readonly profiler: Profiler, idleWaits: boolean) {
    this.idleWaits = idleWaits;
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

  /** Record one dispatch. */
  dispatch(k: Kernel, bg: GPUBindGroup, gx: number, gy: number, gz: number): void {
    const timestampWrites = this.profiler.passWrites(k.name);
    let pass: GPUComputePassEncoder;
    if (timestampWrites) {
      this.endPass();
      pass = this.enc().beginComputePass({ timestampWrites });
    } else pass = this.pass ?? (this.pass = this.enc().beginComputePass());
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(gx, gy, gz);
    if (timestampWrites) pass.end();
    this.pending++;
    this.dispatches++;
  }

  /** Record a clear of the first `bytes` bytes of a buffer, in command order. */
  clear(buf: GPUBuffer, bytes: number): void {
    this.endPass();
    this.enc().clearBuffer(buf, 0, bytes);
    this.pending++;
  }

  /** Record a buffer copy, in command order. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.endPass();
    this.enc().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.pending++;
  }

  /** Submit everything recorded so far as one command buffer. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    const afterSubmit = this.profiler.resolve(this.encoder);
    const cb = this.encoder.finish();
    this.encoder = null;
    this.pending = 0;
    this.device.queue.submit([cb]);
    this.submits++;
    afterSubmit?.();
  }

  /** Await `p` (a map or work-done promise that `start` creates) polling Dawn quietly when idleWaits. */
  async wait<T>(start: () => Promise<T>): Promise<T> {
    const end = this.idleWaits ? quietTicks() : null;
    try {
      return await start();
    } finally {
      end?.();
    }
  }
}
