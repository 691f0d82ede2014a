// The GPU runtime: one object per device that ties the parts together — pooled buffers (pool.ts), kernels
// built from composed WGSL (kernels.ts, compose.ts), the command queue (queue.ts), read-back (readback.ts)
// and timestamps (profiler.ts) — and turns asynchronous GPU errors into exceptions at the next call.
import { isCpuAdapter, type AdapterReport } from './adapter.js';
import { BufferIds, BufferPool, type MemoryStats } from './pool.js';
import { KernelCache, type BufferArg, type Kernel, type Params } from './kernels.js';
import { Profiler, type KernelTiming } from './profiler.js';
import { Queue } from './queue.js';

import { Staging } from './readback.js';
import { MAP_READ } from './usage.js';
import type { Shader } from './compose.js';

export type { MemoryStats, Kernel, KernelTiming };

export class Runtime {
  readonly device: GPUDevice;
  readonly report: AdapterReport;
  /** Dawn's create() result: the device crashes if it is collected while in use. */
  private keepAlive: unknown;
  private error: Error | null = null;
  private readonly pool: BufferPool;
  private readonly kernels: KernelCache;
  private readonly staging: Staging;
  /** Staging buffers of small uploads recorded between dispatches (see write), by content. */
  private stagedWrites = new Map<string, GPUBuffer>();
  private stagedBytes = 0;
  private readonly profiler: Profiler;
  readonly queue: Queue;

  constructor(device: GPUDevice, report: AdapterReport, keepAlive: unknown) {
    this.device = device;
    this.report = report;
    this.keepAlive = keepAlive;
    const fail = (e: Error) => void (this.error ??= e);
    this.pool = new BufferPool(device);
    this.kernels = new KernelCache(device, new BufferIds(), fail);
    this.staging = new Staging(device);
    this.profiler = new Profiler(device);
    this.queue = new Queue(device, this.profiler, isCpuAdapter(report) && report.runtime === 'node');
    device.addEventListener?.('uncapturederror', (ev: Event) => fail(new Error(`GPU error: ${(ev as GPUUncapturedErrorEvent).error.message}`)));
    device.lost.then((info) => fail(new Error(info.reason !== 'destroyed' ? `GPU device lost (${info.reason}): ${info.message}` : 'GPU device was destroyed')));
  }

  private check(): void {
    if (this.error) throw this.error;
  }

  /** Poll dawn.node about once per millisecond in waits instead of letting it spin (on for CPU adapters in Node; see Queue). */
  get idleWaits(): boolean {
    return this.queue.idleWaits;
  }
  set idleWaits(on: boolean) {
    this.queue.idleWaits = on;
  }
  get submits(): number {
    return this.queue.submits;
  }
  get dispatches(): number {
    return this.queue.dispatches;
  }
  get hasTimestamps(): boolean {
    return this.profiler.available;
  }

  // ---------- buffers ----------

  /** A storage buffer of at least `bytes` bytes from the pool. Contents are undefined. */
  acquire(bytes: number): GPUBuffer {
    this.check();
    return this.pool.acquire(bytes);
  }

  /** Give a buffer back to the pool. Commands already recorded that use it still run first (queue order). */
  release(buf: GPUBuffer): void {
    this.pool.release(buf);
  }

  /** Destroy all pooled (unused) buffers. */
  trim(): void {
    this.flush();
    this.pool.trim();
    this.kernels.clearBindGroups();
  }

  memory(): MemoryStats {
    return { ...this.pool.stats(), uniformBuffers: this.kernels.uniformBuffers };
  }

  resetPeak(): void {
    this.pool.resetPeak();
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
    if (this.queue.pending && data.byteLength <= 16384 && data.byteLength % 4 === 0 && offset % 4 === 0 && data.byteLength > 0) {
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
        this.stagedBytes += data.byteLength;
        this.stagedWrites.set(key, src);
      }
      this.copy(src, 0, buf, offset, data.byteLength);
      return;
    }
    if (this.queue.pending) this.flush();
    this.device.queue.writeBuffer(buf, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Zero `bytes` bytes (a multiple of 4) of a buffer, in command order (clearBuffer: a memset, not a dispatch). */
  clear(buf: GPUBuffer, bytes: number): void {
    this.check();
    this.queue.clear(buf, bytes);
  }

  /** Copy bytes between buffers, in command order. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.check();
    this.queue.copy(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Read bytes back. Submits everything recorded so far; resolves when the GPU is done. */
  async read(buf: GPUBuffer, byteOffset: number, bytes: number): Promise<ArrayBuffer> {
    this.check();
    const size = Math.max(16, Math.ceil(bytes / 4) * 4);
    const staging = this.staging.take(size);
    this.queue.copy(buf, byteOffset, staging, 0, size);
    const retired = this.kernels.takeRetired();
    this.flush();
    await this.awaitChecks();
    try {
      await this.queue.wait(() => staging.mapAsync(MAP_READ, 0, size));
    } catch (e) {
      this.check();
      throw new Error(`GPU read-back failed: ${(e as Error).message}`);
    }
    for (const r of retired) r.destroy(); // their commands were submitted above and have finished
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.staging.give(staging);
    this.check();
    return out;
  }

  /** Resolves when all submitted work has finished. */
  async sync(): Promise<void> {
    const retired = this.kernels.takeRetired();
    this.flush();
    await this.queue.wait(() => this.device.queue.onSubmittedWorkDone());
    for (const r of retired) r.destroy();
    await this.awaitChecks();
    this.check();
  }

  private async awaitChecks(): Promise<void> {
    const c = this.kernels.checks;
    if (!c.length) return;
    this.kernels.checks = [];
    await Promise.all(c);
  }

  // ---------- kernels ----------

  /** The compute pipeline of a composed shader's entry point (cached; bindings reflected from the WGSL). */
  kernel(shader: Shader, entryPoint = 'main'): Kernel {
    return this.kernels.get(shader, entryPoint);
  }

  /**
   * Record one dispatch of `k`. `buffers` names each storage binding (by its WGSL variable name);
   * `params` fills the uniform struct by member name. Nothing runs until flush() or a read.
   */
  dispatch(k: Kernel, buffers: Record<string, BufferArg>, params: Params | null, groups: readonly [number, number?, number?]): void {
    this.check();
    const [gx, gy = 1, gz = 1] = groups;
    if (gx === 0 || gy === 0 || gz === 0) return;
    const maxG = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (gx > maxG || gy > maxG || gz > maxG) throw new Error(`kernel '${k.name}': dispatch (${gx},${gy},${gz}) exceeds ${maxG} workgroups per dimension`);
    this.queue.dispatch(k, this.kernels.bindGroup(k, buffers, params), gx, gy, gz);
  }

  /** Submit everything recorded so far as one command buffer. */
  flush(): void {
    this.queue.flush();
  }

  // ---------- profiling ----------

  /** Turn per-dispatch GPU timestamps on or off (no-op without the timestamp-query feature). */
  setProfiling(on: boolean): boolean {
    if (on && !this.profiler.available) return false;
    this.flush();
    return this.profiler.setEnabled(on);
  }

  /** Per-dispatch GPU times recorded since the last call (awaits their resolution). */
  async takeTimings(): Promise<KernelTiming[]> {
    this.flush();
    return this.profiler.take();
  }

  destroy(): void {
    this.flush();
    this.device.destroy();
    this.keepAlive = null;
  }
}
