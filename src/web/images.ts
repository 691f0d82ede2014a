// Choosing the input image: the sample gallery from the server, a file picker and drag-and-drop. PNG and
// JPEG are decoded by gradsight's own decoder (so the network input matches the CLI's byte for byte); other
// formats the browser understands are decoded through a canvas.
import { decodeImage, isJpeg, isPng } from '../image/decode.js';
import { preprocess, deprocess } from '../image/preprocess.js';
import type { RgbImage } from '../image/types.js';
import { IMAGENET_CLASSES } from '../nn/classes.js';
import { $, h, toast } from './dom.js';
import { drawRgb } from './draw.js';
import { app, hook, isBusy, nextImageId, onImage, setImage } from './state.js';

export interface Sample {
  file: string;
  url: string;
  label: number | null;
  name: string | null;
}

export let samples: Sample[] = [];

async function browserDecode(bytes: Uint8Array, name: string): Promise<RgbImage> {
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(new Blob([bytes as BlobPart]));
  } catch {
    throw new Error(`${name}: not an image this browser can decode`);
  }
  const c = document.createElement('canvas');
  c.width = bmp.width;
  c.height = bmp.height;
  const ctx = c.getContext('2d')!;
  ctx.drawImage(bmp, 0, 0);
  const rgba = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
  const data = new Uint8Array(bmp.width * bmp.height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    data[j] = rgba[i];
    data[j + 1] = rgba[i + 1];
    data[j + 2] = rgba[i + 2];
  }
  bmp.close();
  return { width: c.width, height: c.height, data };
}

/** Decode, resize + center-crop + normalize, and make it the current image. */
export async function useImageBytes(bytes: Uint8Array, name: string, sample: string | null, label: number | null): Promise<void> {
  if (isBusy()) {
    toast(`Busy with ${hook.state.busy}; choose the image when it is done.`);
    return;
  }
  let img: RgbImage;
  try {
    img = isPng(bytes) || isJpeg(bytes) ? decodeImage(bytes, name) : await browserDecode(bytes, name);
  } catch (e) {
    toast((e as Error).message, 'error');
    hook.errors.push((e as Error).message);
    return;
  }
  const chw = preprocess(img, 224);
  const rgb = deprocess(chw, 224, 224);
  setImage({ id: nextImageId(), name, sample, label, chw, rgb });
}

export async function useSample(s: Sample): Promise<void> {
  const res = await fetch(s.url);
  if (!res.ok) {
    toast(`cannot load sample ${s.file}: HTTP ${res.status}`, 'error');
    return;
  }
  await useImageBytes(new Uint8Array(await res.arrayBuffer()), s.file, s.file, s.label);
}

export async function useFile(f: File): Promise<void> {
  await useImageBytes(new Uint8Array(await f.arrayBuffer()), f.name, null, null);
}

export async function loadGallery(): Promise<void> {
  const gallery = $('gallery');
  try {
    const res = await fetch('samples/index.json');
    const j = res.ok ? ((await res.json()) as { images: Sample[] }) : { images: [] };
    samples = j.images ?? [];
  } catch {
    samples = [];
  }
  $('gallery-empty').hidden = samples.length > 0;
  gallery.replaceChildren(
    ...samples.map((s) => {
      const title = s.label !== null ? `${s.file} — ${s.label} ${s.name ?? IMAGENET_CLASSES[s.label]}` : s.file;
      const b = h('button', { 'data-file': s.file, title, 'aria-label': title }, h('img', { src: s.url, alt: title, loading: 'lazy', width: 56, height: 56 }));
      b.addEventListener('click', () => void useSample(s));
      return b;
    }),
  );
}

export function initImages(): void {
  const input = $<HTMLInputElement>('image-file');
  $('image-open').addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    const f = input.files?.[0];
    if (f) void useFile(f);
    input.value = '';
  });
  onImage(() => {
    const img = app.image!;
    drawRgb($<HTMLCanvasElement>('current-canvas'), img.rgb);
    $('current-name').textContent = img.name;
    $('current-label').textContent = img.label !== null ? `true label: ${img.label} · ${IMAGENET_CLASSES[img.label]}` : 'no label';
    for (const b of $('gallery').querySelectorAll('button')) b.classList.toggle('selected', (b as HTMLElement).dataset.file === img.sample);
  });
}
