// Read-back staging buffers: a few mappable buffers reused across reads.
import { bucketSize } from './pool.js';
import { READ_USAGE } from './usage.js';

export class Staging {
  private pool: GPUBuffer[] = [];
  constructor(private readonly device: GPUDevice) {}

  /** A mappable buffer of at least `size` bytes, not in use by another read. */
  take(size: number): GPUBuffer {
    const i = this.pool.findIndex((b) => b.size >= size);
    if (i >= 0) return this.pool.splice(i, 1)[0];
    return this.device.createBuffer({ size: bucketSize(size), usage: READ_USAGE, label: 'readback' });
  }

  /** Hand a buffer back after unmapping it (at most 8 are kept). */
  give(buf: GPUBuffer): void {
    if (this.pool.length < 8) this.pool.push(buf);
    else buf.destroy();
  }
}
