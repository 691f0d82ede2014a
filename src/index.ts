// gradsight: tensors and reverse-mode autodiff on raw WebGPU, SqueezeNet 1.1, and network visualization.
// What users get, listed name by name (src/core.ts: the tensor API).
export * from './core.js';
export type { TensorData, StateDict } from './state_dict.js';
export { SqueezeNet, squeezeNetManifest, FIRES, LAYER_NAMES, type ForwardOptions, type ForwardResult } from './nn/squeezenet.js';
export { IMAGENET_CLASSES, className, resolveClass } from './nn/classes.js';
export {
  saliency, attribution, inputGradient, igBaseline, igSchedule, smoothGradSeed, bilinearResize, SALIENCY_METHODS, SALIENCY_DEFAULTS,
  type SaliencyMethod, type SaliencyOptions, type SaliencyResult, type AttributionResult,
} from './viz/saliency.js';
export {
  makeFoolingImages, foolingStep, FOOLING_DEFAULTS, type FoolingOptions, type FoolingImageReport, type FoolingResult,
} from './viz/fooling.js';
export {
  classVisualization, classVizInit, classVizStep, CLASSVIZ_DEFAULTS, type ClassVizOptions, type ClassVizResult,
} from './viz/classviz.js';
export {
  gradientTrace, stats, traceLayerKind, type TensorStats, type TraceLayer, type TraceLayerKind, type TraceOptions, type GradientTrace,
} from './viz/trace.js';
export {
  planeShape, channelMap, reluMaskMap, maxPoolRouting, routingMap, gatingSummary, SQUEEZENET_POOL, type PoolParams,
} from './viz/explorer.js';
export {
  classScores, MEAN, STD, LO, HI, hostRng, softmaxRows, argmaxRows, topkRows, NonFiniteError, countNonFinite, type Classifier,
} from './viz/common.js';
export {
  detectFormat, loadStateDict, validateSqueezeNet, importSqueezeNet, readSafetensors, writeSafetensors, SQUEEZENET1_1,
} from './weights/index.js';
export type { WeightsFormat, Manifest, ImportResult } from './weights/index.js';
export * from './image/index.js';
export { readNpy, writeNpy, npyToFloat32 } from './io/npy.js';
