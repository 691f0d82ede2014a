// The command queue: dispatches recorded into one command encoder (one compute pass between copies), submitted
// as one command buffer by flush(), and waits that sleep instead of spinning on CPU adapters.
import type { Kernel } from './kernels.js';
import type { Profiler } from './profiler.js';

interface Wait { key: string; start: number; waitStart: number }

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
   * Waiting without spinning. dawn.node resolves mapAsync / onSubmittedWorkDone by polling the device in a busy
   * loop on the main thread; on a CPU adapter (lavapipe, SwiftShader in Node) that loop takes a core from the
   * driver's worker threads and roughly halves their speed. So before a wait is handed to Dawn the queue
   * sleeps (setTimeout) for 90% of the time the same work took before: a batch (the submits since the last
   * wait) is keyed by its kernel sequence (see afterWait for how its estimate follows the measured times).
   * Off on GPUs.
   */
  idleWaits: boolean;
  private batchIds: number[] = [];
  private batchStart = 0;
  readonly waitEstimates = new Map<string, number>();

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
    if (this.idleWaits) this.batchIds.push(k.id);
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
    if (!this.batchStart) this.batchStart = performance.now();
    this.submits++;
    afterSubmit?.();
  }

  /**
   * Sleeps for most of the expected time of the submitted batch (see idleWaits) and claims the batch: a wait
   * that starts meanwhile (several reads at once) neither sleeps nor times it.
   */
  async beforeWait(): Promise<Wait | null> {
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
   * Updates the batch's estimate: the completion time when Dawn had to wait (the work ended while it polled),
   * 80% of the old estimate when the work was already done after the sleep (it overslept).
   */
  afterWait(w: Wait | null): void {
    if (!w) return;
    const now = performance.now();
    const prev = this.waitEstimates.get(w.key);
    const est = prev !== undefined && now - w.waitStart < 1 ? prev * 0.8 : now - w.start;
    if (this.waitEstimates.size > 1000) this.waitEstimates.clear();
    if (est < 10_000) this.waitEstimates.set(w.key, est);
  }
}
