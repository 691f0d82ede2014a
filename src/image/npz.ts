// NumPy .npz archives as image sources: cs231n's imagenet_val_25.npz holds X (uint8 N×H×W×3), y (int64 labels)
// and label_map (a pickled dict, i.e. an object array, which we cannot and need not read: it is skipped and the
// skip is recorded). Selections 'file.npz:3' and 'file.npz:0-4' pick images by index.
import { ZipArchive, isZip } from '../io/zip.js';
import { readNpy, isNpy, type NpyArray } from '../io/npy.js';
import type { RgbImage } from './types.js';

export interface NpzSkipped {
  key: string;
  reason: string;
}

/** The arrays of an .npz by key (file name without '.npy'), plus the entries that were not loaded and why. */
export type NpzContents = Map<string, NpyArray> & { readonly skipped: NpzSkipped[] };

/** dtype kinds (descr without the byte-order character) that src/io/npy.ts reads. */
const READABLE = new Set(['f4', 'f8', 'f2', 'i4', 'u1', 'b1', 'i1', 'i2', 'u2', 'u4', 'i8', 'u8']);

/** The dtype descr of a .npy header, or why it cannot be read as a plain numeric array (null = readable). */
function unreadable(bytes: Uint8Array): string | null {
  if (!isNpy(bytes)) return null; // readNpy reports it
  const major = bytes[6];
  const hlen = major === 1 ? bytes[8] | (bytes[9] << 8) : bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, Math.min(bytes.length, start + hlen)));
  if (/'descr'\s*:\s*\[/.test(header)) return 'structured dtype';
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  if (!descr) return null; // malformed: readNpy reports it
  const kind = descr.replace(/^[<>|=]/, '');
  if (kind === 'O') return "object array (pickled Python objects, dtype 'O')";
  if (/^[USV]\d*$/.test(kind)) return `string/bytes array (dtype '${descr}')`;
  if (/^[mM]8/.test(kind)) return `datetime array (dtype '${descr}')`;
  if (/^c\d+$/.test(kind)) return `complex array (dtype '${descr}')`;
  if (!READABLE.has(kind)) return `unsupported dtype '${descr}'`;
  if (descr[0] === '>' && !['u1', 'i1', 'b1'].includes(kind)) return `big-endian dtype '${descr}'`;
  return null;
}

/**
 * Read every numeric array of an .npz (stored or deflated entries). Arrays that are not plain numbers —
 * object arrays such as cs231n's pickled `label_map`, strings, structured dtypes — are skipped and listed in
 * `.skipped`; a damaged archive or array is an error naming the file and the key.
 */
export function readNpz(bytes: Uint8Array, name = 'npz'): NpzContents {
  if (!isZip(bytes)) throw new Error(`${name}: not a .npz file (not a zip archive)`);
  const zip = new ZipArchive(bytes, name);
  const out = new Map<string, NpyArray>() as NpzContents;
  const skipped: NpzSkipped[] = [];
  Object.defineProperty(out, 'skipped', { value: skipped, enumerable: false });
  for (const entry of zip.names()) {
    if (entry.endsWith('/')) continue;
    if (!entry.endsWith('.npy')) {
      skipped.push({ key: entry, reason: 'not a .npy entry' });
      continue;
    }
    const key = entry.slice(0, -4);
    const data = zip.read(entry);
    const why = unreadable(data);
    if (why) {
      skipped.push({ key, reason: why });
      continue;
    }
    out.set(key, readNpy(data, `${name}:${key}`));
  }
  return out;
}

export interface NpzSelection {
  path: string;
  /** First image index. */
  start: number;
  /** One past the last image index; null = to the end of X. */
  end: number | null;
}

/**
 * Split 'file.npz:3' (one image), 'file.npz:0-4' (images 0 through 4, inclusive) or 'file.npz' (all) into the
 * path and a half-open index range [start, end).
 */
export function parseSelection(spec: string): NpzSelection {
  const m = /^(.+?):(\d+)(?:-(\d+))?$/.exec(spec);
  if (m) {
    const start = Number(m[2]);
    const last = m[3] === undefined ? start : Number(m[3]);
    if (last < start) throw new Error(`${spec}: empty selection (${start}-${last}); use a-b with a ≤ b`);
    return { path: m[1], start, end: last + 1 };
  }
  const colon = /^(.+\.npz):(.*)$/i.exec(spec);
  if (colon) throw new Error(`${spec}: bad selection '${colon[2]}'; use ${colon[1]}, ${colon[1]}:3 or ${colon[1]}:0-4`);
  return { path: spec, start: 0, end: null };
}

/**
 * The selected images of an .npz's X (uint8 N×H×W×3) and, when the archive has y (N integer labels), their
 * labels. Errors name the file (sel.path), the arrays' shapes and the valid index range.
 */
export function npzImages(map: Map<string, NpyArray>, sel: Partial<NpzSelection> = {}): { images: RgbImage[]; labels?: number[] } {
  const name = sel.path ?? 'npz';
  const X = map.get('X');
  if (!X) {
    const skipped = (map as Partial<NpzContents>).skipped ?? [];
    const keys = [...map.keys(), ...skipped.map((s) => `${s.key} (skipped: ${s.reason})`)];
    throw new Error(`${name}: no image array 'X' (keys: ${keys.join(', ') || 'none'})`);
  }
  const shape = `(${X.shape.join(', ')})`;
  if (X.dtype !== 'u1') throw new Error(`${name}: X must be uint8 (N, H, W, 3); it is ${X.dtype} ${shape}`);
  if (X.shape.length !== 4 || X.shape[3] !== 3) throw new Error(`${name}: X must be uint8 (N, H, W, 3); its shape is ${shape}`);
  const [n, h, w] = X.shape;
  const start = sel.start ?? 0;
  const end = sel.end ?? n;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start) throw new Error(`${name}: invalid selection [${start}, ${end})`);
  if (end > n) {
    const what = end - start === 1 ? `image index ${start}` : `images ${start}-${end - 1}`;
    throw new Error(`${name}: ${what} out of range (X holds ${n} image${n === 1 ? '' : 's'}: 0-${n - 1})`);
  }
  const px = h * w * 3;
  const data = X.data as Uint8Array;
  const images: RgbImage[] = [];
  for (let i = start; i < end; i++) images.push({ width: w, height: h, data: data.slice(i * px, (i + 1) * px) });
  const y = map.get('y');
  if (!y) return { images };
  if (y.shape.length !== 1 || y.shape[0] !== n) throw new Error(`${name}: y has shape (${y.shape.join(', ')}); expected (${n},) to match X ${shape}`);
  if (!/^[iu]\d$/.test(y.dtype)) throw new Error(`${name}: y must hold integer labels; it is ${y.dtype}`);
  const labels: number[] = [];
  for (let i = start; i < end; i++) labels.push(Number(y.data[i]));
  return { images, labels };
}
