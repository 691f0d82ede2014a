// Reading ZIP archives (torch's zip .pth, NumPy .npz): central directory, stored and deflated entries,
// ZIP64 sizes. Inflate comes from fflate (pure JS, works in Node and browsers). Every offset and size read
// from the archive is checked against the file before use, every entry's CRC-32 is verified when it is
// read (as torch's reader does), and a deflated entry may not claim more than deflate's maximum ratio.
import { inflateSync } from 'fflate';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  dataOffset: number;
  crc32: number;
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Deflate cannot compress by more than ~1032:1; an entry claiming more is corrupt (or a zip bomb). */
const MAX_DEFLATE_RATIO = 1032;

let crcTables: Uint32Array | null = null;

/** CRC-32 (IEEE 802.3, as zip uses), eight bytes per step ("slicing by 8"). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTables) {
    const t = new Uint32Array(256 * 8);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t[n] = c >>> 0;
    }
    for (let k = 1; k < 8; k++) for (let n = 0; n < 256; n++) t[k * 256 + n] = (t[(k - 1) * 256 + n] >>> 8) ^ t[t[(k - 1) * 256 + n] & 0xff];
    crcTables = t;
  }
  const t = crcTables;
  const n = bytes.length;
  let c = 0xffffffff;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const a = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c = t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^
      t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^ t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
  }
  for (; i < n; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  constructor(readonly bytes: Uint8Array, readonly what = 'zip') {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const corrupt = (why: string): never => {
      throw new Error(`${what}: corrupt zip archive: ${why}`);
    };
    /** Check that [at, at + n) lies inside the file. */
    const inside = (at: number, n: number, part: string) => {
      if (!Number.isSafeInteger(at) || at < 0 || at + n > bytes.length) corrupt(`${part} at byte ${at} lies outside the ${bytes.length}-byte file`);
    };
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
        inside(z64, 56, 'the ZIP64 end-of-central-directory record');
        if (dv.getUint32(z64, true) !== 0x06064b50) corrupt(`no ZIP64 end-of-central-directory record at byte ${z64}`);
        count = Number(dv.getBigUint64(z64 + 32, true));
        cdOffset = Number(dv.getBigUint64(z64 + 48, true));
      }
    }
    if (count * 46 > bytes.length) corrupt(`${count} entries cannot fit in ${bytes.length} bytes`);
    let p = cdOffset;
    const td = new TextDecoder('utf-8', { fatal: false });
    for (let i = 0; i < count; i++) {
      inside(p, 46, `central directory entry ${i}`);
      if (dv.getUint32(p, true) !== 0x02014b50) throw new Error(`${what}: corrupt zip central directory`);
      const method = dv.getUint16(p + 10, true);
      const crc = dv.getUint32(p + 16, true);
      let csize = dv.getUint32(p + 20, true);
      let usize = dv.getUint32(p + 24, true);
      const nlen = dv.getUint16(p + 28, true);
      const xlen = dv.getUint16(p + 30, true);
      const clen = dv.getUint16(p + 32, true);
      let lho = dv.getUint32(p + 42, true);
      inside(p + 46, nlen + xlen + clen, `central directory entry ${i}'s name and extra fields`);
      const name = td.decode(bytes.subarray(p + 46, p + 46 + nlen));
      // ZIP64 extra field.
      let x = p + 46 + nlen;
      const xend = x + xlen;
      while (x + 4 <= xend) {
        const id = dv.getUint16(x, true);
        const sz = dv.getUint16(x + 2, true);
        if (id === 0x0001) {
          let q = x + 4;
          const field = (): number => {
            if (q + 8 > Math.min(xend, x + 4 + sz)) corrupt(`entry '${name}': ZIP64 extra field too short`);
            const v = Number(dv.getBigUint64(q, true));
            q += 8;
            return v;
          };
          if (usize === 0xffffffff) usize = field();
          if (csize === 0xffffffff) csize = field();
          if (lho === 0xffffffff) lho = field();
        }
        x += 4 + sz;
      }
      inside(lho, 30, `entry '${name}'s local header`);
      if (dv.getUint32(lho, true) !== 0x04034b50) throw new Error(`${what}: corrupt zip entry '${name}'`);
      const dataOffset = lho + 30 + dv.getUint16(lho + 26, true) + dv.getUint16(lho + 28, true);
      if (this.entries.has(name)) corrupt(`entry '${name}' appears twice`);
      if (method === 0 && csize !== usize) corrupt(`stored entry '${name}' has compressed size ${csize} but size ${usize}`);
      if (method === 8 && usize > MAX_DEFLATE_RATIO * csize + 1024) {
        corrupt(`deflated entry '${name}' claims ${usize} bytes from ${csize} compressed (more than deflate's ${MAX_DEFLATE_RATIO}:1)`);
      }
      this.entries.set(name, { name, method, compressedSize: csize, size: usize, dataOffset, crc32: crc });
      p += 46 + nlen + xlen + clen;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The uncompressed bytes of an entry (a view into the archive for stored entries), CRC-checked. */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.what}: no entry '${name}' in the archive`);
    if (e.dataOffset + e.compressedSize > this.bytes.length) throw new Error(`${this.what}: entry '${name}' is truncated`);
    const raw = this.bytes.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) out = raw;
    else if (e.method === 8) {
      try {
        out = inflateSync(raw, { out: new Uint8Array(e.size + 1) });
      } catch (err) {
        throw new Error(`${this.what}: entry '${name}' is corrupt (inflate: ${(err as Error).message})`);
      }
      if (out.length !== e.size) throw new Error(`${this.what}: entry '${name}' inflated to ${out.length === e.size + 1 ? 'more than' : out.length} bytes, expected ${e.size}`);
    } else throw new Error(`${this.what}: entry '${name}' uses unsupported compression method ${e.method}`);
    const crc = crc32(out);
    if (crc !== e.crc32) {
      throw new Error(`${this.what}: entry '${name}' is corrupt: its CRC-32 is ${hex8(crc)}, the archive records ${hex8(e.crc32)}`);
    }
    return out;
  }
}

const hex8 = (v: number) => v.toString(16).padStart(8, '0');
