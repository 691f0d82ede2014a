// Turning --image arguments into one network batch: image files (PNG/JPEG), folders of them, .npz
// selections (cs231n's imagenet_val_25.npz:3 or :0-4) and .npy float32 (N, 3, H, W) tensors taken as is.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { decodeImage } from '../image/decode.js';
import { readNpz, parseSelection, npzImages } from '../image/npz.js';
import { preprocess, type RgbImage } from '../image/preprocess.js';
import { readNpy, npyToFloat32 } from '../io/npy.js';
import { MIN_INPUT_SIZE } from '../nn/squeezenet.js';
import { UsageError } from './args.js';

export interface InputBatch {
  /** NCHW normalized network input. */
  data: Float32Array;
  shape: [number, number, number, number];
  names: string[];
  /** True label when the source carries one (npz y, labels.json beside the images). */
  labels: (number | null)[];
  /** Every file read (images, .npz, .npy), so that no output overwrites one of them. */
  sources: string[];
}

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

function labelsBeside(file: string): Map<string, number> {
  const p = join(dirname(file), 'labels.json');
  const m = new Map<string, number>();
  if (!existsSync(p)) return m;
  try {
    const j = JSON.parse(readFileSync(p, 'utf8')) as { file: string; label: number }[];
    for (const e of j) if (e && typeof e.file === 'string' && Number.isInteger(e.label)) m.set(e.file, e.label);
  } catch {
    /* not our labels file */
  }
  return m;
}

function readBytes(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `image not found: ${path}` : `cannot read ${path}: ${(e as Error).message}`);
  }
}

interface Item {
  /** The file it came from. */
  file: string;
  chw: Float32Array;
  h: number;
  w: number;
  name: string;
  label: number | null;
}

/** A bad input file is the user's to fix: report it as a usage error (exit 2), with the library's message. */
function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError((e as Error).message);
  }
}

function expand(spec: string): Item[] {
  const sel = /\.npz(:|$)/i.test(spec) ? asUsage(() => parseSelection(spec)) : null;
  if (sel) {
    const { images, labels } = asUsage(() => npzImages(readNpz(readBytes(sel.path), sel.path), sel));
    return images.map((img, i) => ({
      file: sel.path,
      chw: preprocess(img, 224),
      h: 224,
      w: 224,
      name: `${basename(sel.path)}:${sel.start + i}`,
      label: labels ? labels[i] : null,
    }));
  }
  let st;
  try {
    st = statSync(spec);
  } catch {
    throw new UsageError(`image not found: ${spec}`);
  }
  if (st.isDirectory()) {
    const files = readdirSync(spec).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort();
    if (!files.length) throw new UsageError(`no PNG or JPEG images in folder ${spec}`);
    return files.flatMap((f) => expand(join(spec, f)));
  }
  if (extname(spec).toLowerCase() === '.npy') {
    const a = asUsage(() => readNpy(readBytes(spec), spec));
    if (a.shape.length !== 4 || a.shape[1] !== 3) throw new UsageError(`${spec}: a .npy input must be float32 (N, 3, H, W); got shape (${a.shape.join(', ')})`);
    const [n, , h, w] = a.shape;
    if (n === 0 || h === 0 || w === 0) throw new UsageError(`${spec}: the .npy holds no image data (shape (${a.shape.join(', ')}))`);
    if (h < MIN_INPUT_SIZE || w < MIN_INPUT_SIZE) throw new UsageError(`${spec}: images of ${h}×${w} are too small for SqueezeNet (at least ${MIN_INPUT_SIZE}×${MIN_INPUT_SIZE})`);
    const all = asUsage(() => npyToFloat32(a));
    const per = 3 * h * w;
    for (let j = 0; j < all.length; j++) {
      if (Number.isFinite(all[j])) continue;
      const i = Math.floor(j / per), k = j - i * per;
      const c = Math.floor(k / (h * w)), y = Math.floor((k % (h * w)) / w), x = k % w;
      throw new UsageError(`${spec}: image ${i} holds a non-finite value (${all[j]} at channel ${c}, row ${y}, column ${x}); inputs must be finite`);
    }
    return Array.from({ length: n }, (_, i) => ({
      file: spec,
      chw: all.subarray(i * 3 * h * w, (i + 1) * 3 * h * w),
      h,
      w,
      name: `${basename(spec)}:${i}`,
      label: null,
    }));
  }
  const img: RgbImage = asUsage(() => decodeImage(readBytes(spec), spec));
  const chw = preprocess(img, 224);
  const label = labelsBeside(spec).get(basename(spec)) ?? null;
  return [{ file: spec, chw, h: 224, w: 224, name: basename(spec), label }];
}

/** Load every --image argument into one batch (all inputs must end up the same size). */
export function loadInputs(specs: readonly string[]): InputBatch {
  if (!specs.length) throw new UsageError('no input: pass --image <file|folder|file.npz[:i|:a-b]|file.npy>');
  const items = specs.flatMap(expand);
  if (!items.length) throw new UsageError(`no images in ${specs.join(', ')}`);
  const { h, w } = items[0];
  for (const it of items) {
    if (it.h !== h || it.w !== w) throw new UsageError(`inputs differ in size: ${items[0].name} is ${h}×${w}, ${it.name} is ${it.h}×${it.w}`);
  }
  const data = new Float32Array(items.length * 3 * h * w);
  items.forEach((it, i) => data.set(it.chw, i * 3 * h * w));
  return {
    data,
    shape: [items.length, 3, h, w],
    names: items.map((i) => i.name),
    labels: items.map((i) => i.label),
    sources: [...new Set(items.map((i) => i.file))],
  };
}
