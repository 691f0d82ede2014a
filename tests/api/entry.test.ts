// The package entry lists what users get; kernels, launchers and tuning internals are not reachable from it.
import { describe, it, expect } from 'vitest';
import * as api from '../../src/index.js';

describe('package entry', () => {
  it('exports the documented API and no internals', () => {
    for (const name of ['Device', 'Tensor', 'tidy', 'keep', 'grad', 'conv2d', 'fireExpand', 'maxPool2d', 'softmax', 'convTuning', 'autotuneConv', 'SqueezeNet', 'saliency', 'makeFoolingImages', 'classVisualization', 'gradientTrace']) {
      expect(api, name).toHaveProperty(name);
    }
    const internals = [
      'unaryRaw', 'binaryRaw', 'expandRaw', 'softmaxRaw', 'softmaxBackwardRaw', 'fill', 'convGrid', 'tileTable', 'TUNED_FAMILIES',
      'runtimeOf', 'greaterEqual', 'record', 'emptyLike', 'Storage', 'Runtime', 'SHADERS', 'kernel', 'installAccumulate', 'installFill',
      'UNARY_OPS', 'BINARY_OPS', 'broadcastShapes', 'checkTensor', 'groups1d', 'ITEMS',
    ];
    for (const name of internals) expect(api, name).not.toHaveProperty(name);
  });
});
