// Weights on the CPU, as the importers (src/weights) give them and the model (src/nn) takes them.

/** One tensor's values, float32, row-major. */
export interface TensorData {
  shape: number[];
  data: Float32Array;
}

/** Name → tensor, in file order. Keys use torchvision's names (e.g. 'features.3.squeeze.weight'). */
export type StateDict = Map<string, TensorData>;
