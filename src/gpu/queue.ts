// The command queue: dispatches recorded into one command encoder (one compute pass between copies), submitted
// as one command buffer by flush(), and waits that sleep instead of spinning on CPU adapters.
import type { Kernel } from './kernels.js';
import type { Profiler } from './profiler.js';

interface Wait { key: string; start: number; waitStart: number; cold: boolean }

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
   * Off on GPUs and in browsers: a browser waits in its GPU process, and in headless Chromium on SwiftShader
   * idle waits measured no gain.
   */
  idleWaits: boolean;
  private batchIds: number[] = [];
  private batchStart = 0;
  /** A pipeline was built while this batch was recorded (markCold): its time is not sampled. */
  private batchCold = false;
  readonly waitEstimates = new Map<string, number>();
  private waitSamples = new Map<string, number[]>();
  /** The shortest hand-off seen: how long a wait takes when the work is already done (dawn.node <1 ms, more elsewhere). */
  private waitFloor = Infinity;

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
    const cold = this.batchCold;
    this.batchIds = [];
    this.batchStart = 0;
    this.batchCold = false;
    const est = this.waitEstimates.get(key);
    if (est !== undefined) {
      const left = est * 0.9 - (performance.now() - start);
      if (left >= 1) await new Promise((r) => setTimeout(r, left));
    }
    return { key, start, waitStart: performance.now(), cold };
  }

  /**
   * A pipeline was just built (a shader compile, up to seconds on a CPU adapter): the current batch's time says
   * nothing about the next runs of the same work. Without this, the first run of a new kernel sequence set its
   * estimate to the compile time and the runs after it slept through most of it, the estimate shrinking by only
   * 30% per run (measured: single-layer input gradients of ~4.5 ms timed at 34 and 66 ms per call over five
   * rounds).
   */
  markCold(): void {
    if (this.idleWaits) this.batchCold = true;
  }

  /**
   * Updates the batch's estimate (see nextWaitEstimate): the completion time when Dawn had to wait (the work
   * ended while it polled); when the work was already done after the sleep (the hand-off took no longer than
   * the shortest one seen, + 1 ms) it overslept, and the estimate is lowered.
   */
  afterWait(w: Wait | null): void {
    if (!w || w.cold) return;
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
}
