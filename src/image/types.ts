// Plain 8-bit RGB(A) rasters shared by the image modules: row-major, channels interleaved, no padding.

export interface RgbImage {
  width: number;
  height: number;
  /** RGB interleaved, 8-bit, length width·height·3. */
  data: Uint8Array;
}

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA interleaved, 8-bit, length width·height·4 (straight, not premultiplied, alpha). */
  data: Uint8Array;
}

/** Throws unless img is a well-formed RgbImage (positive integer size, data of exactly width·height·3 bytes). */
export function checkRgb(img: RgbImage, op: string, what = 'image'): void {
  if (!img || !(img.data instanceof Uint8Array)) throw new Error(`${op}: ${what} is not an RgbImage (data must be a Uint8Array)`);
  const { width: w, height: h } = img;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0) throw new Error(`${op}: ${what} has invalid size ${w}×${h}`);
  if (img.data.length !== w * h * 3) throw new Error(`${op}: ${what} is ${w}×${h} but holds ${img.data.length} bytes; RGB needs ${w * h * 3}`);
}

/** A blank (black) RGB image. */
export function newRgb(width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new Error(`newRgb: invalid size ${width}×${height}`);
  return { width, height, data: new Uint8Array(width * height * 3) };
}
