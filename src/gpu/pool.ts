// The buffer pool: storage buffers in size buckets, reused after release, with memory statistics.
import { STORAGE_USAGE } from './usage.js';

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

/** Small integer ids for buffers (bind-group cache keys). */
export class BufferIds {
  private ids = new WeakMap<GPUBuffer, number>();
  private next = 1;
  /** The id of a buffer seen before, else undefined. */
  peek(buf: object): number | undefined {
    return this.ids.get(buf as GPUBuffer);
  }
  of(buf: GPUBuffer): number {
    let id = this.ids.get(buf);
    if (id === undefined) this.ids.set(buf, (id = this.next++));
    return id;
  }
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private sizes = new WeakMap<GPUBuffer, number>();
  private live = new Set<GPUBuffer>();
  private liveBytes = 0;
  private pooledBytes = 0;
  private pooledBuffers = 0;
  private peak = 0;

  constructor(private readonly device: GPUDevice) {}

  /** A storage buffer of at least `bytes` bytes. Contents are undefined. */
  acquire(bytes: number): GPUBuffer {
    const size = bucketSize(bytes);
    let buf = this.free.get(size)?.pop();
    if (buf) {
      this.pooledBytes -= size;
      this.pooledBuffers--;
    } else {
      const limit = this.device.limits.maxStorageBufferBindingSize;
      if (size > limit) throw new Error(`buffer of ${bytes} bytes exceeds the adapter's maxStorageBufferBindingSize (${limit})`);
      buf = this.device.createBuffer({ size, usage: STORAGE_USAGE, label: `pool-${size}` });
      this.sizes.set(buf, size);
    }
    this.live.add(buf);
    this.liveBytes += size;
    this.peak = Math.max(this.peak, this.liveBytes + this.pooledBytes);
    return buf;
  }

  /** Give a buffer back for reuse. Commands already recorded that use it still run first (queue order). */
  release(buf: GPUBuffer): void {
    if (!this.live.delete(buf)) throw new Error('release of a buffer that is not live (double dispose?)');
    const size = this.sizes.get(buf)!;
    this.liveBytes -= size;
    this.pooledBytes += size;
    this.pooledBuffers++;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
  }

  /** Destroy all pooled (unused) buffers. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooledBytes = 0;
    this.pooledBuffers = 0;
  }

  resetPeak(): void {
    this.peak = this.liveBytes + this.pooledBytes;
  }

  stats(): Omit<MemoryStats, 'uniformBuffers'> {
    return {
      liveBuffers: this.live.size,
      liveBytes: this.liveBytes,
      pooledBuffers: this.pooledBuffers,
      pooledBytes: this.pooledBytes,
      allocatedBytes: this.liveBytes + this.pooledBytes,
      peakBytes: this.peak,
    };
  }
}
