// gradsight: tensors and reverse-mode autodiff on raw WebGPU.
export { Device, Tensor, tidy, keep, dispose, noGrad, grad, backward, isGradEnabled, shapeSize, fmtShape } from './tensor/tensor.js';
export type { Shape, TensorOptions, DeviceMemory } from './tensor/tensor.js';
export { NoAdapterError, isCpuAdapter, INSTALL_HINT_LINUX, INSTALL_HINT_BROWSER } from './gpu/adapter.js';
export type { AdapterReport } from './gpu/adapter.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
