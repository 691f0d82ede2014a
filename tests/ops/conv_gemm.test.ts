// The implicit-GEMM conv kernels (src/ops/conv_gemm.ts, shaders/conv2d_gemm_*.wgsl): the GPU default; here
// forced on whatever adapter runs the tests (lavapipe in CI) and checked against the CPU reference, finite
// differences of the GPU forward itself, and the register-tiled kernels.
import { describe, it, expect, vi } from 'vitest';
import { expectFireMatchesCpu } from '../helpers/fire.js';
import { getDevice, randn, relErr } from '../helpers/device.js';
import { grad, tidy, noGrad, dispose, conv2d, fireExpand, convTuning, autotuneConv, applyConvTiles, type Device, type Conv2dOptions } from '../../src/index.js';
import { conv2dCpu, conv2dBackwardCpu, convOutSize, concatChannelsCpu, type ConvShape } from '../../src/ops/cpu/conv.js';
import { gemmBlock, gemmWeightChunk } from '../../src/ops/conv_gemm.js';
import { tileTable } from '../../src/ops/conv/tuning.js';
import { SqueezeNet, squeezeNetManifest } from '../../src/nn/squeezenet.js';
import type { StateDict } from '../../src/state_dict.js';
import { inputGradient } from '../../src/viz/saliency.js';
import { restoreTuningAfterEach } from '../helpers/tuning.js';

const TOL = 1e-4;
const FAMILIES = ['forward', 'forwardStrided', 'pointwise', 'backwardInput', 'pointwiseBackward', 'backwardWeight'] as const;

restoreTuningAfterEach();
const defaultMinGroups = convTuning.gemmMinGroups;

/** Every conv family on this adapter's table runs the gemm kernels with tc x tp workgroup tiles. */
function useGemm(d: Device, tc: 32 | 64, tp: 32 | 64, minGroups: number): void {
  const table = tileTable(d.runtime) as Record<string, unknown>;
  for (const f of FAMILIES) table[f] = { wg: (tc * tp) / 16, tc, tp, gemm: true, ...(f === 'backwardWeight' ? { chunk: 512 } : {}) };
  convTuning.gemmMinGroups = minGroups;
}

interface Case {
  N: number; Cin: number; H: number; W: number; Cout: number; KH: number; KW: number;
  stride: number; pad: number; bias: boolean; relu: boolean;
}
const label = (c: Case) => `x[${c.N},${c.Cin},${c.H},${c.W}] w[${c.Cout},${c.Cin},${c.KH},${c.KW}] s${c.stride} p${c.pad}${c.bias ? ' bias' : ''}${c.relu ? ' relu' : ''}`;
const shapeOf = (c: Case): ConvShape => ({ N: c.N, Cin: c.Cin, H: c.H, W: c.W, Cout: c.Cout, KH: c.KH, KW: c.KW, stride: c.stride, pad: c.pad });

// Odd sizes (no multiple of the 32/64 tiles or of 16 in K), stride 2 and 3, padding, KH != KW, batch 1-3.
const ODD: Case[] = [
  { N: 2, Cin: 3, H: 9, W: 7, Cout: 5, KH: 3, KW: 3, stride: 1, pad: 1, bias: true, relu: false },
  { N: 3, Cin: 5, H: 11, W: 8, Cout: 6, KH: 3, KW: 3, stride: 2, pad: 0, bias: false, relu: true },
  { N: 2, Cin: 6, H: 5, W: 7, Cout: 7, KH: 1, KW: 1, stride: 1, pad: 0, bias: true, relu: true },
  { N: 2, Cin: 2, H: 10, W: 9, Cout: 3, KH: 5, KW: 3, stride: 2, pad: 2, bias: true, relu: false },
  { N: 2, Cin: 5, H: 6, W: 9, Cout: 9, KH: 1, KW: 1, stride: 2, pad: 1, bias: false, relu: false },
  { N: 3, Cin: 4, H: 7, W: 10, Cout: 5, KH: 2, KW: 4, stride: 3, pad: 2, bias: true, relu: true },
  { N: 3, Cin: 33, H: 13, W: 15, Cout: 17, KH: 1, KW: 1, stride: 1, pad: 0, bias: true, relu: false },
  { N: 2, Cin: 19, H: 15, W: 13, Cout: 70, KH: 3, KW: 3, stride: 1, pad: 1, bias: false, relu: true },
  { N: 2, Cin: 9, H: 11, W: 8, Cout: 5, KH: 3, KW: 3, stride: 2, pad: 1, bias: true, relu: true },
];

// SqueezeNet 1.1's kinds of conv at reduced image sizes: conv1 (3 -> 64, 3x3 stride 2), a squeeze 1x1, the
// expand 3x3 (pad 1) and the classifier 1x1 512 -> 1000.
const SQUEEZENET: Case[] = [
  { N: 2, Cin: 3, H: 29, W: 29, Cout: 64, KH: 3, KW: 3, stride: 2, pad: 0, bias: true, relu: true },
  { N: 3, Cin: 128, H: 9, W: 9, Cout: 16, KH: 1, KW: 1, stride: 1, pad: 0, bias: true, relu: true },
  { N: 2, Cin: 48, H: 7, W: 7, Cout: 192, KH: 3, KW: 3, stride: 1, pad: 1, bias: true, relu: true },
  { N: 1, Cin: 512, H: 5, W: 5, Cout: 1000, KH: 1, KW: 1, stride: 1, pad: 0, bias: true, relu: true },
];

interface Data { x: Float32Array; w: Float32Array; b: Float32Array | null; r: Float32Array }
function data(c: Case, seed: number): Data {
  const { Ho, Wo } = convOutSize(shapeOf(c));
  return {
    x: randn(c.N * c.Cin * c.H * c.W, seed),
    w: randn(c.Cout * c.Cin * c.KH * c.KW, seed + 1, 0.5),
    b: c.bias ? randn(c.Cout, seed + 2) : null,
    r: randn(c.N * c.Cout * Ho * Wo, seed + 3),
  };
}

const opts = (c: Case): Conv2dOptions => ({ stride: c.stride, padding: c.pad, activation: c.relu ? 'relu' : 'none' });

/** y, dx, dw (and db) of sum(conv(x) * r) on the GPU. */
async function runGpu(d: Device, c: Case, v: Data): Promise<Float32Array[]> {
  const out = tidy(() => {
    const x = d.tensor(v.x, [c.N, c.Cin, c.H, c.W], { requiresGrad: true });
    const w = d.tensor(v.w, [c.Cout, c.Cin, c.KH, c.KW], { requiresGrad: true });
    const b = v.b ? d.tensor(v.b, [c.Cout], { requiresGrad: true }) : null;
    const y = conv2d(x, w, b, opts(c));
    return [y, ...grad(y, b ? [x, w, b] : [x, w], d.tensor(v.r, y.shape))];
  });
  const arr = await Promise.all(out.map((t) => t.toArray()));
  dispose(out);
  return arr;
}

async function checkCase(d: Device, c: Case, v: Data): Promise<void> {
  const [y, dx, dw, db] = await runGpu(d, c, v);
  const s = shapeOf(c);
  const yc = conv2dCpu(v.x, v.w, v.b, s, c.relu ? 'relu' : 'none');
  expect(relErr(y, yc), `forward ${label(c)}`).toBeLessThan(TOL);
  const g = conv2dBackwardCpu(v.x, v.w, v.r, s, c.relu ? yc : null);
  expect(relErr(dx, g.dx), `dx ${label(c)}`).toBeLessThan(TOL);
  expect(relErr(dw, g.dw), `dw ${label(c)}`).toBeLessThan(TOL);
  if (v.b) expect(relErr(db, g.db), `db ${label(c)}`).toBeLessThan(TOL);
}

describe('implicit-GEMM conv kernels', () => {
  it('tile choice: shrinks small grids to 32 x 32, keeps 64 x 64 on large ones; weight-gradient chunks', () => {
    const big = { wg: 256, tc: 64, tp: 64, gemm: true };
    expect(gemmBlock(big, 256, 50000, 256)).toEqual({ bm: 64, bn: 64 });
    expect(gemmBlock(big, 64, 3025, 256)).toEqual({ bm: 32, bn: 32 }); // fire2 expand at b1: 48 -> 190 groups
    expect(gemmBlock(big, 1000, 169, 256)).toEqual({ bm: 32, bn: 32 });
    expect(gemmBlock(big, 1000, 169, 0)).toEqual({ bm: 64, bn: 64 });
    expect(gemmBlock(big, 16, 50000, 0)).toEqual({ bm: 32, bn: 64 }); // few channels: 32-channel blocks
    expect(gemmBlock({ wg: 64, tc: 32, tp: 32, gemm: true }, 5000, 5000, 0)).toEqual({ bm: 32, bn: 32 });
    // Chunks are multiples of 16 rows and cover the reduction.
    for (const [R, tiles] of [[3025, 4], [12321, 1], [17, 40], [845, 300]]) {
      const ch = gemmWeightChunk(R, tiles, 256);
      expect(ch % 16).toBe(0);
      expect(ch * Math.ceil(R / ch)).toBeGreaterThanOrEqual(R);
    }
    expect(Math.ceil(3025 / gemmWeightChunk(3025, 4, 256))).toBeGreaterThan(1);
  });

  it('forward, dx, dw, db match the CPU reference on odd shapes with every tile size, shrinking or not', async () => {
    const d = await getDevice();
    const spy = vi.spyOn(d.runtime, 'kernel');
    // colBelowCin 0: the gemm input gradient also for 2-3 input channels (stride 2 and 3 by phases).
    convTuning.colBelowCin = 0;
    for (const [j, [tc, tp, minGroups]] of ([[64, 64, 0], [32, 64, 0], [64, 64, 1 << 20], [32, 32, 0]] as const).entries()) {
      useGemm(d, tc, tp, minGroups);
      for (let i = 0; i < ODD.length; i++) {
        if (j > 0 && ![1, 3, 7].includes(i)) continue; // fewer pipelines to compile on a CPU adapter
        await checkCase(d, ODD[i], data(ODD[i], 100 * j + 10 * i));
      }
    }
    const names = spy.mock.calls.map((a) => a[0].name.split('+')[0]);
    spy.mockRestore();
    for (const n of ['conv2d_gemm_forward', 'conv2d_gemm_backward_input', 'conv2d_gemm_backward_weight']) expect(names).toContain(n);
    expect(names.some((n) => /^conv2d_(forward|pointwise|backward_input|backward_weight)(_|$)/.test(n))).toBe(false);
  }, 240_000);

  it('SqueezeNet conv shapes (conv1 stride 2, squeeze, expand 3x3, classifier 512 -> 1000) at batch 1-3', async () => {
    const d = await getDevice();
    useGemm(d, 64, 64, 256);
    for (let i = 0; i < SQUEEZENET.length; i++) await checkCase(d, SQUEEZENET[i], data(SQUEEZENET[i], 700 + 10 * i));
  }, 240_000);

  it('stride-1 input gradients run as the gemm forward on the transposed, rotated weight (gemmInputGradAsForward)', async () => {
    const d = await getDevice();
    useGemm(d, 64, 64, 0);
    convTuning.colBelowCin = 0;
    const spy = vi.spyOn(d.runtime, 'kernel');
    // Padding 1 (the rotated conv pads by 1), 0 (by 2) and 2 (by 0); Cout not a multiple of 4 (the packed
    // block is padded to 4 channels), odd sizes, batch 1-2.
    const cases: Case[] = [ODD[0], ODD[7], SQUEEZENET[2],
      { N: 2, Cin: 9, H: 8, W: 11, Cout: 6, KH: 3, KW: 3, stride: 1, pad: 0, bias: true, relu: true },
      { N: 1, Cin: 10, H: 7, W: 6, Cout: 5, KH: 3, KW: 3, stride: 1, pad: 2, bias: false, relu: false },
      { N: 1, Cin: 6, H: 9, W: 9, Cout: 7, KH: 5, KW: 5, stride: 1, pad: 2, bias: true, relu: false },
    ];
    for (const [i, c] of cases.entries()) await checkCase(d, c, data(c, 900 + 10 * i));
    let names = spy.mock.calls.map((a) => a[0].name.split('+')[0]);
    expect(names).not.toContain('conv2d_gemm_backward_input');
    expect(names).toContain('conv2d_pack');
    // Switched off, the same gradients go through conv2d_gemm_backward_input.
    spy.mockClear();
    convTuning.gemmInputGradAsForward = false;
    await checkCase(d, ODD[7], data(ODD[7], 990));
    names = spy.mock.calls.map((a) => a[0].name.split('+')[0]);
    spy.mockRestore();
    expect(names).toContain('conv2d_gemm_backward_input');
  }, 240_000);

  it('conv1 input gradient through the column gradient (a gemm product with the transposed weight) + col2im', async () => {
    const d = await getDevice();
    useGemm(d, 64, 64, 256);
    const spy = vi.spyOn(d.runtime, 'kernel');
    const c = SQUEEZENET[0];
    await checkCase(d, c, data(c, 801));
    const names = spy.mock.calls.map((a) => a[0].name.split('+')[0]);
    spy.mockRestore();
    expect(names).toContain('conv2d_col2im');
    expect(names).not.toContain('conv2d_gemm_backward_input');
  }, 120_000);

  it('gradients agree with finite differences of the GPU forward (directional, float32)', async () => {
    const d = await getDevice();
    useGemm(d, 32, 32, 0);
    convTuning.colBelowCin = 0;
    // Without ReLU the loss sum(conv(x, w) * r) is bilinear: central differences are exact up to rounding.
    for (const c of [ODD[3], ODD[7], SQUEEZENET[0]].map((k) => ({ ...k, relu: false, bias: false }))) {
      const v = data(c, 42);
      const [, dx, dw] = await runGpu(d, c, v);
      const loss = async (xv: Float32Array, wv: Float32Array): Promise<number> => {
        const y = tidy(() => noGrad(() => conv2d(d.tensor(xv, [c.N, c.Cin, c.H, c.W]), d.tensor(wv, [c.Cout, c.Cin, c.KH, c.KW]), null, opts(c))));
        const a = await y.toArray();
        y.dispose();
        let s = 0;
        for (let i = 0; i < a.length; i++) s += a[i] * v.r[i];
        return s;
      };
      const dirX = randn(v.x.length, 5);
      const dirW = randn(v.w.length, 6);
      const eps = 0.05;
      const shift = (a: Float32Array, dir: Float32Array, t: number) => a.map((u, i) => u + t * dir[i]);
      const fdX = ((await loss(shift(v.x, dirX, eps), v.w)) - (await loss(shift(v.x, dirX, -eps), v.w))) / (2 * eps);
      const fdW = ((await loss(v.x, shift(v.w, dirW, eps))) - (await loss(v.x, shift(v.w, dirW, -eps)))) / (2 * eps);
      const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, u, i) => s + u * b[i], 0);
      const scale = (a: Float32Array, b: Float32Array) => Math.sqrt(dot(a, a) * dot(b, b));
      expect(Math.abs(dot(dx, dirX) - fdX) / scale(dx, dirX), `dx·v ${label(c)}`).toBeLessThan(1e-3);
      expect(Math.abs(dot(dw, dirW) - fdW) / scale(dw, dirW), `dw·v ${label(c)}`).toBeLessThan(1e-3);
    }
  }, 120_000);

  it('fused ReLU keeps NaN (as PyTorch) and zeroes negatives', async () => {
    const d = await getDevice();
    useGemm(d, 64, 64, 0);
    const x = new Float32Array(1 * 2 * 4 * 4).fill(1);
    x[5] = NaN; // channel 0, (1, 1)
    const w = new Float32Array([1, 0, -1, 0]); // out 0 = x0, out 1 = -x0
    const y = tidy(() => noGrad(() => conv2d(d.tensor(x, [1, 2, 4, 4]), d.tensor(w, [2, 2, 1, 1]), null, { activation: 'relu' })));
    const a = await y.toArray();
    y.dispose();
    expect(Number.isNaN(a[5])).toBe(true);
    expect(Number.isNaN(a[16 + 5])).toBe(true);
    expect(a[0]).toBe(1);
    expect(a[16]).toBe(0);
  });

  it('fireExpand (1x1 and 3x3 pad 1 into channel slices of one output) forward and every gradient', async () => {
    const d = await getDevice();
    useGemm(d, 64, 64, 256);
    const spy = vi.spyOn(d.runtime, 'kernel');
    const [N, C, H, W, E1, E3] = [2, 19, 7, 9, 37, 45];
    const sd = randn(N * C * H * W, 1);
    const w1 = randn(E1 * C, 2, 0.4);
    const b1 = randn(E1, 3);
    const w3 = randn(E3 * C * 9, 4, 0.2);
    const b3 = randn(E3, 5);
    const r = randn(N * (E1 + E3) * H * W, 6);
    const res = tidy(() => {
      const ts = [d.tensor(sd, [N, C, H, W]), d.tensor(w1, [E1, C, 1, 1]), d.tensor(b1, [E1]), d.tensor(w3, [E3, C, 3, 3]), d.tensor(b3, [E3])];
      for (const t of ts) t.requiresGrad = true;
      const y = fireExpand(ts[0], ts[1], ts[2], ts[3], ts[4]);
      return [y, ...grad(y, ts, d.tensor(r, y.shape))];
    });
    const [y, ds, dw1, db1, dw3, db3] = await Promise.all(res.map((t) => t.toArray()));
    dispose(res);
    const names = spy.mock.calls.map((a) => a[0].name.split('+')[0]);
    spy.mockRestore();
    expect(names).toContain('conv2d_gemm_forward');
    expectFireMatchesCpu([y, ds, dw1, db1, dw3, db3], { dims: [N, C, H, W, E1, E3], sd, w1, b1, w3, b3, r }, TOL);
  }, 120_000);

  it('the whole SqueezeNet 1.1 at 224x224, batch 2 (every conv shape): logits and input gradient as with the register tiles', async () => {
    const d = await getDevice();
    const dict: StateDict = new Map();
    // He-scaled weights, so that the activations neither vanish nor blow up through the 26 convs.
    squeezeNetManifest().forEach(([name, shape], i) => dict.set(name, { shape: [...shape], data: randn(shape.reduce((a, b) => a * b, 1), 1000 + i, shape.length === 4 ? Math.sqrt(2 / (shape[1] * shape[2] * shape[3])) : 0.01) }));
    const model = SqueezeNet.fromStateDict(d, dict);
    const x = d.tensor(randn(2 * 3 * 224 * 224, 9), [2, 3, 224, 224]);
    const run = async () => {
      const out = tidy(() => [noGrad(() => model.logits(x)), inputGradient(model, x, [7, 901])]);
      const arr = await Promise.all(out.map((t) => t.toArray()));
      dispose(out);
      return arr;
    };
    const direct = await run();
    useGemm(d, 64, 64, 256);
    const spy = vi.spyOn(d.runtime, 'kernel');
    const gemm = await run();
    const names = spy.mock.calls.map((a) => a[0].name.split('+')[0]);
    spy.mockRestore();
    expect(names).toContain('conv2d_gemm_forward');
    // Every input gradient here is a gemm forward: the 3x3 and 1x1 ones on transposed weights
    // (gemmInputGradAsForward, the pointwise product), conv1's through the column gradient.
    expect(names).not.toContain('conv2d_gemm_backward_input');
    // Not a comparison of vanishing values.
    const mag = (a: Float32Array) => a.reduce((m, u) => Math.max(m, Math.abs(u)), 0);
    expect(mag(direct[0])).toBeGreaterThan(1e-2);
    expect(mag(direct[1])).toBeGreaterThan(1e-6);
    expect(relErr(gemm[0], direct[0]), 'logits').toBeLessThan(1e-4);
    expect(relErr(gemm[1], direct[1]), 'input gradient').toBeLessThan(1e-4);
    dispose(x);
    model.dispose();
  }, 240_000);

  it('agrees with the register-tiled kernels; the tuner times the gemm tiles and the cache format keeps them', async () => {
    const d = await getDevice();
    const c = ODD[7];
    const v = data(c, 77);
    const direct = await runGpu(d, c, v);
    useGemm(d, 64, 64, 256);
    const gemm = await runGpu(d, c, v);
    for (let i = 0; i < direct.length; i++) expect(relErr(gemm[i], direct[i])).toBeLessThan(1e-5);
    // The tuner's candidates include the gemm tiles (on this adapter too).
    convTuning.gemmMinGroups = defaultMinGroups;
    const [r] = await autotuneConv(d, { rounds: 1, families: ['forwardStrided'] });
    expect(r.candidates.filter((k) => k.tile.gemm).length).toBeGreaterThanOrEqual(3);
    for (const k of r.candidates) expect(k.medianMs).toBeGreaterThan(0);
    applyConvTiles(d, { forward: { wg: 128, tc: 32, tp: 64, gemm: true } });
    expect(tileTable(d.runtime).forward).toEqual({ wg: 128, tc: 32, tp: 64, gemm: true });
    expect(() => applyConvTiles(d, { forward: { wg: 64, tc: 48, tp: 64, gemm: true } })).toThrow(/gemm tile of 'forward' must have tc and tp in \{32, 64\}/);
  }, 240_000);
});
