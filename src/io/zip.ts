// Reading ZIP archives (torch's zip .pth, NumPy .npz): central directory, stored and deflated entries,
// ZIP64 sizes. Inflate comes from fflate (pure JS, works in Node and browsers).
import { inflateSync } from 'fflate';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  dataOffset: number;
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  constructor(readonly bytes: Uint8Array, readonly what = 'zip') {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // End of central directory: last 22..65557 bytes.
    let eocd = -1;
    for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i--) {
      if (dv.getUint32(i, true) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new Error(`${what}: not a complete zip archive (no end-of-central-directory record; truncated?)`);
    let count = dv.getUint16(eocd + 10, true);
    let cdOffset = dv.getUint32(eocd + 16, true);
    if (cdOffset === 0xffffffff || count === 0xffff) {
      const loc = eocd - 20;
      if (loc >= 0 && dv.getUint32(loc, true) === 0x07064b50) {
        const z64 = Number(dv.getBigUint64(loc + 8, true));
        count = Number(dv.getBigUint64(z64 + 32, true));
        cdOffset = Number(dv.getBigUint64(z64 + 48, true));
      }
    }
    let p = cdOffset;
    const td = new TextDecoder();
    for (let i = 0; i < count; i++) {
      if (p + 46 > bytes.length || dv.getUint32(p, true) !== 0x02014b50) throw new Error(`${what}: corrupt zip central directory`);
      const method = dv.getUint16(p + 10, true);
      let csize = dv.getUint32(p + 20, true);
      let usize = dv.getUint32(p + 24, true);
      const nlen = dv.getUint16(p + 28, true);
      const xlen = dv.getUint16(p + 30, true);
      const clen = dv.getUint16(p + 32, true);
      let lho = dv.getUint32(p + 42, true);
      const name = td.decode(bytes.subarray(p + 46, p + 46 + nlen));
      // ZIP64 extra field.
      let x = p + 46 + nlen;
      const xend = x + xlen;
      while (x + 4 <= xend) {
        const id = dv.getUint16(x, true);
        const sz = dv.getUint16(x + 2, true);
        if (id === 0x0001) {
          let q = x + 4;
          if (usize === 0xffffffff) { usize = Number(dv.getBigUint64(q, true)); q += 8; }
          if (csize === 0xffffffff) { csize = Number(dv.getBigUint64(q, true)); q += 8; }
          if (lho === 0xffffffff) { lho = Number(dv.getBigUint64(q, true)); q += 8; }
        }
        x += 4 + sz;
      }
      if (lho + 30 > bytes.length || dv.getUint32(lho, true) !== 0x04034b50) throw new Error(`${what}: corrupt zip entry '${name}'`);
      const dataOffset = lho + 30 + dv.getUint16(lho + 26, true) + dv.getUint16(lho + 28, true);
      this.entries.set(name, { name, method, compressedSize: csize, size: usize, dataOffset });
      p += 46 + nlen + xlen + clen;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The uncompressed bytes of an entry (a view into the archive for stored entries). */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.what}: no entry '${name}' in the archive`);
    if (e.dataOffset + e.compressedSize > this.bytes.length) throw new Error(`${this.what}: entry '${name}' is truncated`);
    const raw = this.bytes.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
    if (e.method === 0) return raw;
    if (e.method === 8) {
      const out = inflateSync(raw, { out: new Uint8Array(e.size) });
      if (out.length !== e.size) throw new Error(`${this.what}: entry '${name}' inflated to ${out.length} bytes, expected ${e.size}`);
      return out;
    }
    throw new Error(`${this.what}: entry '${name}' uses unsupported compression method ${e.method}`);
  }
}
