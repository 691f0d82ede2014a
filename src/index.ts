// gradsight: tensors and reverse-mode autodiff on raw WebGPU, SqueezeNet 1.1, and network visualization.
export * from './core.js';
export * from './nn/squeezenet.js';
export * from './viz/index.js';
export * from './nn/classes.js';
export {
  detectFormat, loadStateDict, validateSqueezeNet, importSqueezeNet, readSafetensors, writeSafetensors, SQUEEZENET1_1,
} from './weights/index.js';
export type { StateDict, WeightsFormat, Manifest, ImportResult } from './weights/index.js';
export * from './image/index.js';
export { readNpy, writeNpy, npyToFloat32 } from './io/npy.js';
