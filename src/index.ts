// gradsight: tensors and reverse-mode autodiff on raw WebGPU, SqueezeNet 1.1, and network visualization.
export * from './core.js';
export * from './nn/squeezenet.js';
export * from './viz/index.js';
export * from './nn/classes.js';
