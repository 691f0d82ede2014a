// Types for upng-js 2.1 (photopea/UPNG.js): the parts gradsight uses.
declare module 'upng-js' {
  interface UpngImage {
    width: number;
    height: number;
    depth: number;
    ctype: number;
    frames: unknown[];
    tabs: Record<string, unknown>;
    /** Unfiltered (and de-interlaced) scanline bytes of the default image. */
    data: Uint8Array;
  }
  interface ToRgba8 {
    (img: UpngImage): ArrayBuffer[];
    /** RGBA8 pixels of one image's unfiltered scanlines (palette, tRNS, low and 16-bit depths expanded). */
    decodeImage(data: Uint8Array, w: number, h: number, img: UpngImage): Uint8Array;
  }
  interface Upng {
    decode(buf: ArrayBuffer | Uint8Array): UpngImage;
    toRGBA8: ToRgba8;
    /** bufs: RGBA8 frames; cnum 0 = lossless. Returns the PNG file. */
    encode(bufs: ArrayBuffer[], w: number, h: number, cnum: number, dels?: number[], forbidPlte?: boolean): ArrayBuffer;
  }
  const UPNG: Upng & { decode: Upng['decode'] & { _filterZero(data: Uint8Array, img: UpngImage, off: number, w: number, h: number): Uint8Array } };
  export default UPNG;
}
