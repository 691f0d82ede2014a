// Per-dispatch GPU times with timestamp queries (when the adapter has the 'timestamp-query' feature): a
// profiled dispatch gets a pass of its own whose beginning and end write two timestamps.
import { MAP_READ, QUERY_RESOLVE_USAGE, READ_USAGE } from './usage.js';

export interface KernelTiming { name: string; ms: number }

export class Profiler {
  private on = false;
  private querySet: GPUQuerySet | null = null;
  private names: string[] = [];
  private timings: Promise<KernelTiming[]>[] = [];
  private readonly maxQueries = 4096;

  constructor(private readonly device: GPUDevice) {}

  get available(): boolean {
    return this.device.features.has('timestamp-query');
  }

  get enabled(): boolean {
    return this.on;
  }

  setEnabled(on: boolean): boolean {
    if (on && !this.available) return false;
    this.on = on;
    if (on && !this.querySet) this.querySet = this.device.createQuerySet({ type: 'timestamp', count: this.maxQueries });
    return on;
  }

  /** The timestamp writes of a pass for one dispatch of kernel `name`, or null (off, or the query set is full). */
  passWrites(name: string): GPUComputePassTimestampWrites | null {
    if (!this.on || !this.querySet || this.names.length + 2 > this.maxQueries) return null;
    const q = this.names.length;
    this.names.push(name, '');
    return { querySet: this.querySet, beginningOfPassWriteIndex: q, endOfPassWriteIndex: q + 1 };
  }

  /** Resolve this command buffer's queries (call before finish); returns what to do after its submit. */
  resolve(enc: GPUCommandEncoder): (() => void) | null {
    if (!this.querySet || !this.names.length) return null;
    const n = this.names.length;
    const resolveBuf = this.device.createBuffer({ size: n * 8, usage: QUERY_RESOLVE_USAGE });
    enc.resolveQuerySet(this.querySet, 0, n, resolveBuf, 0);
    const names = this.names;
    this.names = [];
    return () => {
      const staging = this.device.createBuffer({ size: resolveBuf.size, usage: READ_USAGE });
      const copy = this.device.createCommandEncoder();
      copy.copyBufferToBuffer(resolveBuf, 0, staging, 0, resolveBuf.size);
      this.device.queue.submit([copy.finish()]);
      this.timings.push(
        staging.mapAsync(MAP_READ).then(() => {
          const t = new BigUint64Array(staging.getMappedRange().slice(0));
          staging.unmap();
          staging.destroy();
          resolveBuf.destroy();
          const out: KernelTiming[] = [];
          for (let q = 0; q < names.length; q += 2) out.push({ name: names[q], ms: Number(t[q + 1] - t[q]) / 1e6 });
          return out;
        }),
      );
    };
  }

  /** The timings resolved since the last call. */
  async take(): Promise<KernelTiming[]> {
    const t = this.timings;
    this.timings = [];
    return (await Promise.all(t)).flat();
  }
}
