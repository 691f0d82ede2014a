// A seeded random SqueezeNet 1.1 state dict (Kaiming-like scale) for tests that need no pretrained data.
import { squeezeNetManifest } from '../../src/nn/squeezenet.js';
import type { StateDict } from '../../src/state_dict.js';
import { randn } from './device.js';

export function randomStateDict(seed: number): StateDict {
  const m = new Map<string, { shape: number[]; data: Float32Array }>();
  squeezeNetManifest().forEach(([name, shape], i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length === 4 ? shape[1] * shape[2] * shape[3] : 1;
    const scale = name.endsWith('bias') ? 0.05 : Math.sqrt(2 / fanIn);
    m.set(name, { shape: [...shape], data: randn(n, seed * 1000 + i, scale) });
  });
  return m;
}
