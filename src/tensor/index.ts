// The tensor layer as the ops see it (the package entry, src/index.ts, picks what users get).
export { Tensor, Storage, emptyLike } from './tensor.js';
export { Device, ITEMS, groups1d, type TensorOptions, type DeviceMemory } from './device.js';
export { record, grad, backward, noGrad, isGradEnabled, type BackwardFn, type GradNode, type Saved } from './autograd.js';
export { tidy, keep, dispose } from './scope.js';
export { shapeSize, fmtShape, sameShape, strides, type Shape } from '../shape.js';
