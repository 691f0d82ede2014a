// Images in and out: decoding, torchvision-exact preprocessing, .npz inputs, PNG output, colormaps, a raster
// canvas with an embedded bitmap font, and grid figures. CPU only; no Node APIs (works in browsers too).
export type { RgbImage, RgbaImage } from './types.js';
export { checkRgb, newRgb } from './types.js';
export { decodeImage, isPng, isJpeg, scanPng, pngRawSize, crc32, MAX_PIXELS } from './decode.js';
export type { PngHeader } from './decode.js';
export { readNpz, parseSelection, npzImages } from './npz.js';
export type { NpzContents, NpzSelection, NpzSkipped } from './npz.js';
export {
  IMAGENET_MEAN, IMAGENET_STD, resizedSize, resizeBilinear, resizeShorter, centerCrop, toNormalizedChw, preprocess,
  deprocess, batchToTensorData,
} from './preprocess.js';
export { encodePng } from './png.js';
export { COLORMAPS, colormapLut, applyColormap, percentile, normalizeMap, overlay, colormapBar } from './colormap.js';
export type { ColormapName } from './colormap.js';
export { Canvas, parseColor, fontScale, measureText, fitText } from './canvas.js';
export type { Color, Rgb, TextAlign, TextOptions, DrawSize } from './canvas.js';
export { FONT_WIDTH, FONT_HEIGHT, fontText } from './font.js';
export { gridFigure, gridFigureWithLayout } from './figure.js';
export type { Panel, GridFigureOptions, GridLayout } from './figure.js';
