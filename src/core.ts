// The public tensor API: devices, tensors, autograd and ops. The model (nn), the algorithms (viz) and the
// front ends are written against this module only.
export { Device, Tensor, tidy, keep, dispose, noGrad, grad, backward, isGradEnabled, shapeSize, fmtShape } from './tensor/tensor.js';
export type { Shape, TensorOptions, DeviceMemory } from './tensor/tensor.js';
export { NoAdapterError, isCpuAdapter, INSTALL_HINT_LINUX, INSTALL_HINT_BROWSER } from './gpu/adapter.js';
export type { AdapterReport } from './gpu/adapter.js';
export type { KernelTiming, MemoryStats } from './gpu/runtime.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/conv.js';
export * from './ops/conv_tune.js';
export * from './ops/pool.js';
export * from './ops/concat.js';
export * from './ops/image.js';
export * from './ops/softmax.js';
export * from './ops/gather.js';
export * from './ops/random.js';
