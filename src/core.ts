// The public tensor API: devices, tensors, autograd and ops. The model (nn), the algorithms (viz) and the
// front ends are written against this module only. Each name is listed: kernels, launchers and tuning
// internals stay in their files (tests import them from there).
export { Device, Tensor, tidy, keep, dispose, noGrad, grad, backward, isGradEnabled } from './tensor/index.js';
export type { TensorOptions, DeviceMemory } from './tensor/index.js';
export { shapeSize, fmtShape, type Shape } from './shape.js';
export { NoAdapterError, isCpuAdapter, INSTALL_HINT_LINUX, INSTALL_HINT_BROWSER, type AdapterReport } from './gpu/adapter.js';
export type { KernelTiming, MemoryStats } from './gpu/runtime.js';
export {
  neg, abs, square, sqrt, exp, log, relu, clamp, affine, clone, add, sub, mul, div, maximum, greater, type Operand,
} from './ops/elementwise.js';
export { sum, mean, maxOverAxis, sumTo, type ReduceOptions } from './ops/reduce.js';
export { conv2d, fireExpand, convTuning, type Conv2dOptions, type ConvTile, type TileName } from './ops/conv.js';
export { autotuneConv, applyConvTiles, currentConvTiles, type FamilyResult, type AutotuneOptions } from './ops/conv_tune.js';
export { maxPool2d, avgPool2d, globalAvgPool2d, poolTuning, type Pool2dOptions, type AvgPool2dOptions } from './ops/pool.js';
export { concat, slice } from './ops/concat.js';
export { roll, gaussianBlur, clampChannels, MAX_BLUR_RADIUS, MAX_CLAMP_CHANNELS } from './ops/image.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { gatherRows, takeRows } from './ops/gather.js';
export { channelDot } from './ops/channel_dot.js';
export { randn, rand } from './ops/random.js';
