import { describe, it, expect, vi } from 'vitest';
import { expectFireMatchesCpu } from '../helpers/fire.js';
import { getDevice, randn, relErr, finiteDiff } from '../helpers/device.js';
import { Device, grad, keep, tidy, noGrad, dispose, conv2d, fireExpand, maxPool2d, convTuning, type Tensor, type Conv2dOptions } from '../../src/index.js';
import { maxPool2dCpu, maxPool2dBackwardCpu } from '../../src/ops/cpu/pool.js';
import { convGrid } from '../../src/ops/conv/launch.js';
import { tileTable } from '../../src/ops/conv/tuning.js';
import type { Shader } from '../../src/gpu/compose.js';
import { Runtime } from '../../src/gpu/runtime.js';
import { conv2dCpu, conv2dBackwardCpu, convOutSize, concatChannelsCpu, type ConvShape } from '../../src/ops/cpu/conv.js';
import { restoreTuningAfterEach } from '../helpers/tuning.js';

const TOL = 1e-4;

/** A composed conv kernel's name as the checks below spell it: body, tap suffix (_sg, _sg32, _sg4), _w when wide. */
function kernelName(s: Shader): string {
  const [main, ...parts] = s.name.split('+');
  const tap = parts.find((p) => p.startsWith('conv2d_tap_'))?.slice('conv2d_tap_'.length);
  return `${main}${tap === 'subgroup32' ? '_sg32' : tap === 'subgroup' ? '_sg' : tap === 'subgroup4' ? '_sg4' : ''}${s.consts.WIDE ? '_w' : ''}`;
}

interface Case {
  N: number; Cin: number; H: number; W: number; Cout: number; KH: number; KW: number;
  stride: number; pad: number; bias: boolean; relu: boolean;
}

// Odd sizes, H != W, stride 2 and 3, padding 0/1/2, KH != KW, batch 1-3, channel counts that are not
// multiples of 4 or of the tile sizes, pixel counts above one workgroup's tile.
const CASES: Case[] = [
  { N: 2, Cin: 3, H: 9, W: 7, Cout: 5, KH: 3, KW: 3, stride: 1, pad: 1, bias: true, relu: false },
  { N: 3, Cin: 5, H: 11, W: 8, Cout: 6, KH: 3, KW: 3, stride: 2, pad: 0, bias: false, relu: true },
  { N: 2, Cin: 6, H: 5, W: 7, Cout: 7, KH: 1, KW: 1, stride: 1, pad: 0, bias: true, relu: true },
  { N: 2, Cin: 2, H: 10, W: 9, Cout: 3, KH: 5, KW: 3, stride: 2, pad: 2, bias: true, relu: false },
  { N: 1, Cin: 3, H: 23, W: 19, Cout: 19, KH: 3, KW: 3, stride: 2, pad: 0, bias: true, relu: true },
  { N: 2, Cin: 5, H: 6, W: 9, Cout: 9, KH: 1, KW: 1, stride: 2, pad: 1, bias: false, relu: false },
  { N: 3, Cin: 4, H: 7, W: 10, Cout: 5, KH: 2, KW: 4, stride: 3, pad: 2, bias: true, relu: true },
  { N: 3, Cin: 33, H: 13, W: 15, Cout: 17, KH: 1, KW: 1, stride: 1, pad: 0, bias: true, relu: false },
  { N: 2, Cin: 7, H: 15, W: 13, Cout: 10, KH: 3, KW: 3, stride: 1, pad: 1, bias: false, relu: true },
  { N: 2, Cin: 9, H: 11, W: 8, Cout: 5, KH: 3, KW: 3, stride: 2, pad: 1, bias: true, relu: true },
  { N: 1, Cin: 17, H: 7, W: 12, Cout: 6, KH: 2, KW: 3, stride: 1, pad: 2, bias: false, relu: false },
];

function shapeOf(c: Case): ConvShape {
  return { N: c.N, Cin: c.Cin, H: c.H, W: c.W, Cout: c.Cout, KH: c.KH, KW: c.KW, stride: c.stride, pad: c.pad };
}
function label(c: Case): string {
  return `x[${c.N},${c.Cin},${c.H},${c.W}] w[${c.Cout},${c.Cin},${c.KH},${c.KW}] s${c.stride} p${c.pad}${c.bias ? ' bias' : ''}${c.relu ? ' relu' : ''}`;
}

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

interface GpuResult { y: Float32Array; dx: Float32Array; dw: Float32Array; db: Float32Array | null }

/** Forward, then the gradients of sum(y * r) for x, w (and b). */
async function runGpu(d: Device, c: Case, v: Data): Promise<GpuResult> {
  const out = tidy(() => {
    const x = d.tensor(v.x, [c.N, c.Cin, c.H, c.W], { requiresGrad: true });
    const w = d.tensor(v.w, [c.Cout, c.Cin, c.KH, c.KW], { requiresGrad: true });
    const b = v.b ? d.tensor(v.b, [c.Cout], { requiresGrad: true }) : null;
    const opts: Conv2dOptions = { stride: c.stride, padding: c.pad, activation: c.relu ? 'relu' : 'none' };
    const y = conv2d(x, w, b, opts);
    const seed = d.tensor(v.r, y.shape);
    const gs = grad(y, b ? [x, w, b] : [x, w], seed);
    return [y, ...gs];
  });
  const arr = await Promise.all(out.map((t) => t.toArray()));
  dispose(out);
  return { y: arr[0], dx: arr[1], dw: arr[2], db: v.b ? arr[3] : null };
}

function checkAgainstCpu(c: Case, v: Data, r: GpuResult): void {
  const s = shapeOf(c);
  const y = conv2dCpu(v.x, v.w, v.b, s, c.relu ? 'relu' : 'none');
  expect(relErr(r.y, y), `forward ${label(c)}`).toBeLessThan(TOL);
  const g = conv2dBackwardCpu(v.x, v.w, v.r, s, c.relu ? y : null);
  expect(relErr(r.dx, g.dx), `dx ${label(c)}`).toBeLessThan(TOL);
  expect(relErr(r.dw, g.dw), `dw ${label(c)}`).toBeLessThan(TOL);
  if (r.db) expect(relErr(r.db, g.db), `db ${label(c)}`).toBeLessThan(TOL);
}

restoreTuningAfterEach();

describe('conv2d CPU reference', () => {
  it('backward matches finite differences (float64)', () => {
    const cases: Case[] = [
      { N: 2, Cin: 2, H: 5, W: 4, Cout: 3, KH: 3, KW: 2, stride: 2, pad: 1, bias: true, relu: false },
      { N: 1, Cin: 3, H: 4, W: 5, Cout: 2, KH: 2, KW: 3, stride: 1, pad: 2, bias: true, relu: true },
      { N: 2, Cin: 2, H: 3, W: 3, Cout: 2, KH: 1, KW: 1, stride: 1, pad: 0, bias: true, relu: false },
    ];
    for (const c of cases) {
      const s = shapeOf(c);
      const v = data(c, 7);
      const x = Float64Array.from(v.x);
      const w = Float64Array.from(v.w);
      const b = Float64Array.from(v.b!);
      const act = c.relu ? 'relu' : 'none';
      const loss = (xx: Float64Array, ww: Float64Array, bb: Float64Array) => conv2dCpu(xx, ww, bb, s, act).reduce((a, yv, i) => a + yv * v.r[i], 0);
      const y = conv2dCpu(x, w, b, s, act);
      const g = conv2dBackwardCpu(x, w, v.r, s, c.relu ? y : null);
      expect(relErr(g.dx, finiteDiff((t) => loss(t, w, b), x)), `dx ${label(c)}`).toBeLessThan(1e-6);
      expect(relErr(g.dw, finiteDiff((t) => loss(x, t, b), w)), `dw ${label(c)}`).toBeLessThan(1e-6);
      expect(relErr(g.db, finiteDiff((t) => loss(x, w, t), b)), `db ${label(c)}`).toBeLessThan(1e-6);
    }
  });
});

describe('conv2d on the GPU', () => {
  it('forward and backward (dx, dw, db) match the CPU reference', async () => {
    const d = await getDevice();
    for (let i = 0; i < CASES.length; i++) {
      const c = CASES[i];
      const v = data(c, 100 + 10 * i);
      checkAgainstCpu(c, v, await runGpu(d, c, v));
    }
  });

  it('any tile configuration gives the same result (partial tiles at every edge)', async () => {
    const d = await getDevice();
    // Small tiles compile fast on lavapipe; the default 16 x 4 tiles run in every other test.
    const variants = [
      { packed: { wg: 32, tc: 4, tp: 1 }, weight: { wg: 16, tc: 4, tp: 1, chunk: 37 }, seg: 7 },
      { packed: { wg: 16, tc: 8, tp: 3 }, weight: { wg: 64, tc: 8, tp: 3, chunk: 1 << 20 }, seg: 1000 },
    ];
    const sel = [CASES[1], CASES[3], CASES[7], CASES[8], CASES[9]];
    for (const v of variants) {
      for (const k of ['forward', 'forwardStrided', 'pointwise', 'backwardInput', 'pointwiseBackward'] as const) Object.assign(tileTable(d.runtime)[k], v.packed);
      Object.assign(tileTable(d.runtime).backwardWeight, v.weight);
      Object.assign(convTuning.biasGrad, { seg: v.seg });
      for (let i = 0; i < sel.length; i++) {
        const dt = data(sel[i], 300 + i);
        checkAgainstCpu(sel[i], dt, await runGpu(d, sel[i], dt));
      }
    }
  });

  it('both input-gradient paths (direct phases; column gradient + col2im for few input channels)', async () => {
    const d = await getDevice();
    // CASES[1] and [9]: 3x3 stride 2, padding 0 and 1 (col2im's spelled-out K3S2 taps, 3 and 8 pixels per invocation).
    const sel = [CASES[0], CASES[1], CASES[3], CASES[5], CASES[6], CASES[9], CASES[10]];
    const spy = vi.spyOn(d.runtime, 'kernel');
    for (const [below, tp] of [[0, 8], [1000, 3], [1000, 8]]) {
      convTuning.colBelowCin = below;
      convTuning.col2imTp = tp;
      for (let i = 0; i < sel.length; i++) {
        const v = data(sel[i], 500 + i);
        checkAgainstCpu(sel[i], v, await runGpu(d, sel[i], v));
      }
    }
    const col2im = spy.mock.calls.map((a) => a[0]).filter((k) => k.name.startsWith('conv2d_col2im'));
    spy.mockRestore();
    expect(col2im.some((k) => k.consts.K3S2 && k.consts.TP === 8)).toBe(true);
    expect(col2im.some((k) => k.consts.K3S2 && k.consts.TP === 3)).toBe(true);
    expect(col2im.some((k) => !k.consts.K3S2)).toBe(true);
  });

  it('32-channel tiles with the vec4 taps (no subgroups) give the CPU results', async () => {
    const d = await getDevice();
    convTuning.subgroups = false;
    for (const k of ['forward', 'forwardStrided', 'pointwise', 'backwardInput', 'pointwiseBackward', 'backwardWeight'] as const) {
      Object.assign(tileTable(d.runtime)[k], { wg: 32, tc: 32, tp: 2 });
    }
    // Cases with more than 16 output or input channels (so a 32-channel block, partly empty, runs).
    const sel = CASES.filter((c) => Math.max(c.Cin, c.Cout) > 16);
    expect(sel.length).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < sel.length; i++) {
      const v = data(sel[i], 900 + i);
      checkAgainstCpu(sel[i], v, await runGpu(d, sel[i], v));
    }
  });

  it('wide forward tiles (8 pixels per invocation) give the CPU results with every tap variant', async () => {
    const d = await getDevice();
    const sel = CASES.filter((c) => c.stride === 1 && c.KH * c.KW > 1);
    expect(sel.length).toBeGreaterThanOrEqual(3);
    const spy = vi.spyOn(d.runtime, 'kernel');
    for (const [j, [sub, tc]] of ([[true, 32], [true, 16], [false, 32], [false, 8]] as const).entries()) {
      convTuning.subgroups = sub;
      Object.assign(tileTable(d.runtime).forward, { wg: 32, tc, tp: 8 });
      for (let i = 0; i < sel.length; i++) {
        const v = data(sel[i], 1200 + 10 * j + i);
        checkAgainstCpu(sel[i], v, await runGpu(d, sel[i], v));
      }
    }
    const names = spy.mock.calls.map((a) => kernelName(a[0]));
    spy.mockRestore();
    expect(names).toContain('conv2d_forward_w');
  }, 300_000);

  it('the wide strided tile (forwardStrided tp 8: stride 2, 3-wide kernels) gives the CPU results; other strides take tp 4', async () => {
    const d = await getDevice();
    // Rows of 3, 4, 6 and 9 outputs (9: a partial second group of 8), padding 0, 1 and 2, a 5 x 3 kernel; the stride-3
    // and 2 x 4 kernel cases must fall back to the 4-pixel tile.
    const sel = CASES.filter((c) => c.stride > 1 && c.KH * c.KW > 1);
    expect(sel.some((c) => c.stride === 2 && c.KW === 3 && c.pad === 0)).toBe(true);
    expect(sel.some((c) => c.stride === 2 && c.KW === 3 && c.pad === 1)).toBe(true);
    expect(sel.some((c) => c.stride === 3)).toBe(true);
    const spy = vi.spyOn(d.runtime, 'kernel');
    for (const [j, [sub, tc]] of ([[true, 16], [false, 8]] as const).entries()) {
      convTuning.subgroups = sub;
      Object.assign(tileTable(d.runtime).forwardStrided, { wg: 16, tc, tp: 8 });
      for (let i = 0; i < sel.length; i++) {
        const v = data(sel[i], 1250 + 10 * j + i);
        checkAgainstCpu(sel[i], v, await runGpu(d, sel[i], v));
      }
    }
    const fwd = spy.mock.calls.map((a) => a[0]).filter((k) => k.name.startsWith('conv2d_forward+'));
    spy.mockRestore();
    expect(fwd.some((k) => k.consts.WIDE && !k.consts.S1 && k.consts.KWc === 3)).toBe(true);
    for (const k of fwd) expect(k.consts.TP).toBeLessThanOrEqual(4);
    expect(fwd.every((k) => !k.consts.WIDE || k.consts.S1 || k.consts.KWc === 3)).toBe(true);
  }, 300_000);

  it('wide pointwise tiles (8 pixels per invocation, forward and input gradient) give the CPU results with every tap variant', async () => {
    const d = await getDevice();
    const sel = CASES.filter((c) => c.KH * c.KW === 1 && c.stride === 1 && c.pad === 0);
    expect(sel.length).toBeGreaterThanOrEqual(2);
    const spy = vi.spyOn(d.runtime, 'kernel');
    for (const [j, [sub, tc]] of ([[true, 32], [true, 16], [false, 32], [false, 8]] as const).entries()) {
      convTuning.subgroups = sub;
      Object.assign(tileTable(d.runtime).pointwise, { wg: 32, tc, tp: 8 });
      Object.assign(tileTable(d.runtime).pointwiseBackward, { wg: 32, tc, tp: 8 });
      for (let i = 0; i < sel.length; i++) {
        const v = data(sel[i], 1300 + 10 * j + i);
        checkAgainstCpu(sel[i], v, await runGpu(d, sel[i], v));
      }
    }
    const names = spy.mock.calls.map((a) => kernelName(a[0]));
    spy.mockRestore();
    expect(names).toContain('conv2d_pointwise_w');
    expect(names).toContain('conv2d_pointwise_sg32_w');
  }, 300_000);

  it('three-tap rows (convTuning.rowTaps) give the same bits as one tap at a time, wide and narrow tiles', async () => {
    const d = await getDevice();
    const spy = vi.spyOn(d.runtime, 'kernel');
    for (const [j, tp] of [8, 3].entries()) {
      for (const k of ['forward', 'pointwise', 'pointwiseBackward'] as const) Object.assign(tileTable(d.runtime)[k], { wg: 32, tc: 16, tp });
      for (let i = 0; i < CASES.length; i++) {
        const c = CASES[i];
        const v = data(c, 1500 + 10 * j + i);
        convTuning.rowTaps = false;
        const one = await runGpu(d, c, v);
        convTuning.rowTaps = true;
        const rows = await runGpu(d, c, v);
        checkAgainstCpu(c, v, rows);
        for (const key of ['y', 'dx', 'dw'] as const) {
          expect(Buffer.from(rows[key].buffer).equals(Buffer.from(one[key].buffer)), `${key} ${label(c)} tp ${tp}`).toBe(true);
        }
      }
    }
    const rowsOn = spy.mock.calls.filter((a) => a[0].consts.ROWS).map((a) => kernelName(a[0]));
    spy.mockRestore();
    for (const n of ['conv2d_forward', 'conv2d_forward_w', 'conv2d_pointwise', 'conv2d_pointwise_w', 'conv2d_backward_input']) {
      expect(rowsOn.some((m) => m.replace(/_sg(32|4)?/, '') === n), n).toBe(true);
    }
  }, 300_000);

  it('stride-1 input gradients through the forward kernel (inputGradAsForward: transposed, rotated weight) give the CPU results', async () => {
    const d = await getDevice();
    convTuning.inputGradAsForward = true;
    convTuning.colBelowCin = 0; // no column-gradient path for the few-channel cases
    const spy = vi.spyOn(d.runtime, 'kernel');
    const sel = CASES.filter((c) => c.stride === 1 && c.KH === c.KW && c.KH > 1);
    expect(sel.length).toBeGreaterThanOrEqual(2);
    // Padding 0 (the rotated conv pads by 2) and 2 (by 0) besides the cases' 1.
    const extra: Case[] = [
      { N: 2, Cin: 9, H: 8, W: 11, Cout: 6, KH: 3, KW: 3, stride: 1, pad: 0, bias: true, relu: true },
      { N: 1, Cin: 10, H: 7, W: 6, Cout: 5, KH: 3, KW: 3, stride: 1, pad: 2, bias: false, relu: false },
    ];
    for (const [i, c] of [...sel, ...extra].entries()) {
      const v = data(c, 1700 + 10 * i);
      checkAgainstCpu(c, v, await runGpu(d, c, v));
    }
    // The fire module adds the 3x3 input gradient into the 1x1's (ACC).
    await checkFire(d);
    const fwd = spy.mock.calls.filter((a) => a[0].name.startsWith('conv2d_forward+'));
    const bwdInput = spy.mock.calls.filter((a) => a[0].name.startsWith('conv2d_backward_input+'));
    spy.mockRestore();
    expect(fwd.some((a) => a[0].consts.ACC)).toBe(true);
    expect(bwdInput).toEqual([]);
  }, 300_000);

  it('the wide input-gradient tile (backwardInput tp 8) gives the CPU results through the forward kernel and through the phases (as tp 4)', async () => {
    const d = await getDevice();
    convTuning.colBelowCin = 0;
    Object.assign(tileTable(d.runtime).backwardInput, { wg: 16, tc: 16, tp: 8 });
    const sel = CASES.filter((c) => c.KH * c.KW > 1);
    expect(sel.some((c) => c.stride > 1)).toBe(true); // strided: the phase kernel even with inputGradAsForward
    const spy = vi.spyOn(d.runtime, 'kernel');
    for (const [j, asForward] of [true, false].entries()) {
      convTuning.inputGradAsForward = asForward;
      for (let i = 0; i < sel.length; i++) {
        const v = data(sel[i], 1800 + 10 * j + i);
        checkAgainstCpu(sel[i], v, await runGpu(d, sel[i], v));
      }
    }
    const calls = spy.mock.calls.map((a) => a[0]);
    spy.mockRestore();
    // Wide forward pipelines ran input gradients (ACC or not) and every phase kernel ran with TP 4.
    expect(calls.some((k) => k.name.startsWith('conv2d_forward+') && k.consts.WIDE && k.consts.WG === 16)).toBe(true);
    const phases = calls.filter((k) => k.name.startsWith('conv2d_backward_input+'));
    expect(phases.length).toBeGreaterThan(0);
    for (const k of phases) expect(k.consts.TP).toBe(4);
  }, 300_000);

  it('flat rows (convTuning.flatRows: 3x3 same convs as one pixel run per plane) give the CPU results, forward and input gradients', async () => {
    const d = await getDevice();
    convTuning.flatRows = true;
    convTuning.inputGradAsForward = true;
    convTuning.colBelowCin = 0;
    Object.assign(tileTable(d.runtime).forward, { wg: 16, tc: 16, tp: 8 });
    Object.assign(tileTable(d.runtime).backwardInput, { wg: 16, tc: 16, tp: 8 });
    // Rows of 13, 5 and 9 pixels (runs of 8 span rows), planes of 169, 35 and 18 (a partial last run).
    const cases: Case[] = [
      { N: 1, Cin: 6, H: 13, W: 13, Cout: 20, KH: 3, KW: 3, stride: 1, pad: 1, bias: true, relu: true },
      { N: 2, Cin: 5, H: 7, W: 5, Cout: 9, KH: 3, KW: 3, stride: 1, pad: 1, bias: true, relu: false },
      { N: 2, Cin: 17, H: 2, W: 9, Cout: 4, KH: 3, KW: 3, stride: 1, pad: 1, bias: false, relu: true },
    ];
    const spy = vi.spyOn(d.runtime, 'kernel');
    for (const [i, c] of cases.entries()) {
      const v = data(c, 2000 + i);
      checkAgainstCpu(c, v, await runGpu(d, c, v));
    }
    const flat = spy.mock.calls.filter((a) => a[0].name.startsWith('conv2d_forward+') && a[0].consts.FLAT);
    spy.mockRestore();
    expect(flat.some((a) => a[0].consts.ACC === 0 || a[0].consts.ACC === false)).toBe(true);
    expect(flat.length).toBeGreaterThanOrEqual(2 * cases.length); // forward and input gradient of each
  }, 300_000);

  it('input gradient alone: the ReLU mask runs as the flat vec4 pass when the runs are vec4-aligned', async () => {
    const d = await getDevice();
    const spy = vi.spyOn(d.runtime, 'kernel');
    // HW = 35 with Cout = 8 (aligned runs) and HW = 63 with Cout = 5 (not: the per-row pass).
    const cases: Case[] = [
      { N: 2, Cin: 3, H: 5, W: 7, Cout: 8, KH: 3, KW: 3, stride: 1, pad: 1, bias: true, relu: true },
      { N: 2, Cin: 4, H: 9, W: 7, Cout: 5, KH: 1, KW: 1, stride: 1, pad: 0, bias: true, relu: true },
    ];
    for (const [i, c] of cases.entries()) {
      const v = data(c, 1100 + i);
      const dx = tidy(() => {
        const x = d.tensor(v.x, [c.N, c.Cin, c.H, c.W], { requiresGrad: true });
        const w = d.tensor(v.w, [c.Cout, c.Cin, c.KH, c.KW]);
        const b = d.tensor(v.b!, [c.Cout]);
        const y = conv2d(x, w, b, { stride: c.stride, padding: c.pad, activation: 'relu' });
        return grad(y, [x], d.tensor(v.r, y.shape))[0];
      });
      const got = await dx.toArray();
      dx.dispose();
      const s = shapeOf(c);
      const y = conv2dCpu(v.x, v.w, v.b, s, 'relu');
      expect(relErr(got, conv2dBackwardCpu(v.x, v.w, v.r, s, y).dx), `dx ${label(c)}`).toBeLessThan(TOL);
    }
    const names = spy.mock.calls.map((a) => kernelName(a[0]));
    spy.mockRestore();
    expect(names).toContain('conv2d_relu_mask');
    expect(names).toContain('conv2d_bias_grad');
  });

  it('rejects tiles the kernels cannot run', async () => {
    const d = await getDevice();
    tileTable(d.runtime).forward.tc = 6;
    const x = d.tensor(new Float32Array(2 * 9 * 9), [1, 2, 9, 9]);
    const w = d.tensor(new Float32Array(3 * 2 * 9), [3, 2, 3, 3]);
    expect(() => conv2d(x, w, null)).toThrow(/conv2d: tile of 'forward' must have tc in \{4, 8, 12, 16, 32\}, 1 <= tp <= 4 \(or 8, except for 'backwardWeight'\)/);
    dispose(x, w);
  });

  it('computes only the gradients that are needed (no weight gradient for the visualizations)', async () => {
    const d = await getDevice();
    const rt = d.runtime;
    const c = CASES[0];
    const v = data(c, 11);
    const spy = vi.spyOn(rt, 'kernel');
    const dx = tidy(() => {
      const x = d.tensor(v.x, [c.N, c.Cin, c.H, c.W], { requiresGrad: true });
      const w = d.tensor(v.w, [c.Cout, c.Cin, c.KH, c.KW]);
      const b = d.tensor(v.b!, [c.Cout]);
      const y = conv2d(x, w, b, { padding: 1, activation: 'relu' });
      return grad(y, [x], d.tensor(v.r, y.shape))[0];
    });
    const names = spy.mock.calls.map((a) => kernelName(a[0]));
    spy.mockRestore();
    expect(names.some((n) => /^conv2d_(backward_input|col2im)/.test(n))).toBe(true);
    expect(names).not.toContain('conv2d_backward_weight');
    expect(names).not.toContain('conv2d_reduce');
    const s = shapeOf(c);
    const y = conv2dCpu(v.x, v.w, v.b, s, 'relu');
    expect(relErr(await dx.toArray(), conv2dBackwardCpu(v.x, v.w, v.r, s, y).dx)).toBeLessThan(TOL);
    dx.dispose();
  });

  it('without grad records nothing and a forward+backward loop keeps memory flat', async () => {
    const d = await getDevice();
    const c = CASES[1];
    const v = data(c, 21);
    const x = keep(d.tensor(v.x, [c.N, c.Cin, c.H, c.W], { requiresGrad: true }));
    const w = keep(d.tensor(v.w, [c.Cout, c.Cin, c.KH, c.KW], { requiresGrad: true }));
    const b = keep(d.tensor(randn(c.Cout, 3), [c.Cout], { requiresGrad: true }));
    const y0 = noGrad(() => conv2d(x, w, b, { stride: 2 }));
    expect(y0.node).toBeNull();
    y0.dispose();
    const step = () => tidy(() => {
      const y = conv2d(x, w, b, { stride: 2, activation: 'relu' });
      grad(y, [x, w, b], d.tensor(v.r, y.shape));
    });
    step();
    await d.sync();
    const before = d.memory();
    for (let i = 0; i < 20; i++) step();
    await d.sync();
    const after = d.memory();
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.allocatedBytes).toBe(before.allocatedBytes);
    expect(after.liveTensors).toBe(before.liveTensors);
    dispose(x, w, b);
  });

  it('packs each weight once (cached per weight storage) and frees the packed copy with the weight', async () => {
    const d = await getDevice();
    const rt = d.runtime;
    const sel = [CASES[0], CASES[2], CASES[8], CASES[9]]; // col2im, pointwise, stride 1, strided
    for (const c of sel) {
      const v = data(c, 900);
      const w = d.tensor(v.w, [c.Cout, c.Cin, c.KH, c.KW]);
      const b = v.b ? d.tensor(v.b, [c.Cout]) : null;
      const opts: Conv2dOptions = { stride: c.stride, padding: c.pad, activation: c.relu ? 'relu' : 'none' };
      const run = async () => {
        const x = d.tensor(v.x, [c.N, c.Cin, c.H, c.W], { requiresGrad: true });
        const before = rt.dispatches;
        const [y, dx] = tidy(() => {
          const y = conv2d(x, w, b, opts);
          return [y, grad(y, [x], d.tensor(v.r, y.shape))[0]];
        });
        const n = rt.dispatches - before;
        const out = [await y.toArray(), await dx.toArray()];
        dispose(x, y, dx);
        return { n, out };
      };
      const first = await run();
      await d.sync();
      const mem = d.memory();
      const second = await run();
      const third = await run();
      // The first call packs the weight for the forward and for the input gradient; later calls do not.
      expect(second.n, label(c)).toBeLessThan(first.n);
      expect(third.n, label(c)).toBe(second.n);
      expect(second.out[0], label(c)).toEqual(first.out[0]);
      expect(second.out[1], label(c)).toEqual(first.out[1]);
      const y = conv2dCpu(v.x, v.w, v.b, shapeOf(c), c.relu ? 'relu' : 'none');
      expect(relErr(second.out[0], y), label(c)).toBeLessThan(TOL);
      expect(relErr(second.out[1], conv2dBackwardCpu(v.x, v.w, v.r, shapeOf(c), c.relu ? y : null).dx), label(c)).toBeLessThan(TOL);
      await d.sync();
      expect(d.memory().liveBytes).toBe(mem.liveBytes);
      // Disposing the weight frees its packed copies too: fewer live bytes than the weight alone.
      const wBytes = d.memory().liveBytes;
      w.dispose();
      expect(wBytes - d.memory().liveBytes, label(c)).toBeGreaterThan(c.Cout * c.Cin * c.KH * c.KW * 4);
      b?.dispose();
    }
  });

  it('a reshaped view of a weight shares the cache and a disposed weight is never read', async () => {
    const d = await getDevice();
    const c = CASES[7]; // 1x1
    const v = data(c, 910);
    const x = d.tensor(v.x, [c.N, c.Cin, c.H, c.W]);
    const w = d.tensor(v.w, [c.Cout, c.Cin, c.KH, c.KW]);
    const w2 = w.reshape([c.Cout, c.Cin, 1, 1]);
    const ref = conv2dCpu(v.x, v.w, null, shapeOf(c), 'none');
    const y1 = noGrad(() => conv2d(x, w, null));
    w.dispose();
    // The view keeps the storage (and its packed copy) alive.
    const y2 = noGrad(() => conv2d(x, w2, null));
    expect(relErr(await y1.toArray(), ref)).toBeLessThan(TOL);
    expect(await y2.toArray()).toEqual(await y1.toArray());
    w2.dispose();
    // A new weight that reuses the pooled buffers gets its own packing, not the stale one.
    const v2 = data(c, 911);
    const w3 = d.tensor(v2.w, [c.Cout, c.Cin, c.KH, c.KW]);
    const y3 = noGrad(() => conv2d(x, w3, null));
    expect(relErr(await y3.toArray(), conv2dCpu(v.x, v2.w, null, shapeOf(c), 'none'))).toBeLessThan(TOL);
    dispose(x, y1, y2, w3, y3);
  });

  it('dispatch geometry: flat channel blocks, padding, phases, folding into z', () => {
    const t = { wg: 64, tc: 8, tp: 2 };
    expect(convGrid(1000, 20, 3, t)).toEqual({ groups: [47, 1, 3], zFold: 1, cBlocks: 3, itemsPad: 1000 });
    expect(convGrid(43, 20, 1, t, { pad: 8, yMul: 4 })).toEqual({ groups: [3, 4, 1], zFold: 1, cBlocks: 3, itemsPad: 48 });
    expect(convGrid(27, 64, 5, t, { channelsInY: true })).toEqual({ groups: [1, 8, 5], zFold: 1, cBlocks: 8, itemsPad: 64 });
    const big = convGrid(64 * 65535 * 2 + 1, 8, 2, t);
    expect(big.zFold).toBe(3);
    expect(big.groups[0] * big.zFold).toBeGreaterThanOrEqual(65535 * 2 + 1);
    expect(big.groups[2]).toBe(6);
  });
});

/** fireExpand vs the CPU reference (forward and all gradients) and vs conv2d + relu per slice on the GPU. */
async function checkFire(d: Device): Promise<void> {
  for (const [N, C, H, W, E1, E3] of [[2, 5, 9, 7, 6, 7], [1, 16, 13, 11, 12, 9]]) {
    const sd = randn(N * C * H * W, 50 + C);
    const w1 = randn(E1 * C, 51 + C, 0.5);
    const b1 = randn(E1, 52 + C, 0.3);
    const w3 = randn(E3 * C * 9, 53 + C, 0.3);
    const b3 = randn(E3, 54 + C, 0.3);
    const r = randn(N * (E1 + E3) * H * W, 55 + C);
    const res = tidy(() => {
      const s = d.tensor(sd, [N, C, H, W], { requiresGrad: true });
      const tw1 = d.tensor(w1, [E1, C, 1, 1], { requiresGrad: true });
      const tb1 = d.tensor(b1, [E1], { requiresGrad: true });
      const tw3 = d.tensor(w3, [E3, C, 3, 3], { requiresGrad: true });
      const tb3 = d.tensor(b3, [E3], { requiresGrad: true });
      const y = fireExpand(s, tw1, tb1, tw3, tb3);
      expect(y.shape).toEqual([N, E1 + E3, H, W]);
      return [y, ...grad(y, [s, tw1, tb1, tw3, tb3], d.tensor(r, y.shape))];
    });
    const [y, ds, dw1, db1, dw3, db3] = await Promise.all(res.map((t) => t.toArray()));
    dispose(res);
    expectFireMatchesCpu([y, ds, dw1, db1, dw3, db3], { dims: [N, C, H, W, E1, E3], sd, w1, b1, w3, b3, r }, TOL);

    // Same values as conv2d + relu per slice on the GPU.
    const gpu = tidy(() => {
      const s = d.tensor(sd, [N, C, H, W]);
      return [
        conv2d(s, d.tensor(w1, [E1, C, 1, 1]), d.tensor(b1, [E1]), { activation: 'relu' }),
        conv2d(s, d.tensor(w3, [E3, C, 3, 3]), d.tensor(b3, [E3]), { padding: 1, activation: 'relu' }),
      ];
    });
    const [a1, a3] = await Promise.all(gpu.map((t) => t.toArray()));
    dispose(gpu);
    expect(relErr(y, concatChannelsCpu([{ data: a1, C: E1 }, { data: a3, C: E3 }], N, H * W))).toBeLessThan(1e-6);
  }
}

describe('fireExpand', () => {
  it('matches concat(relu(conv1x1), relu(conv3x3 p1)) forward and in every gradient', async () => {
    await checkFire(await getDevice());
  });

  it('input-only gradient skips the weight gradients', async () => {
    const d = await getDevice();
    const spy = vi.spyOn(d.runtime, 'kernel');
    const ds = tidy(() => {
      const s = d.tensor(randn(2 * 9 * 5 * 6, 1), [2, 9, 5, 6], { requiresGrad: true });
      const y = fireExpand(s, d.tensor(randn(3 * 9, 2), [3, 9, 1, 1]), d.tensor(randn(3, 3), [3]), d.tensor(randn(5 * 9 * 9, 4), [5, 9, 3, 3]), d.tensor(randn(5, 5), [5]));
      return grad(y, [s], d.tensor(randn(y.size, 6), y.shape))[0];
    });
    const names = spy.mock.calls.map((a) => kernelName(a[0]));
    spy.mockRestore();
    expect(names.some((n) => /^conv2d_backward_input/.test(n))).toBe(true);
    expect(names).not.toContain('conv2d_backward_weight');
    ds.dispose();
  });
});

/**
 * x -> conv2d 3x3 + ReLU (s0) -> fireExpand (f1) -> max-pool 3/2 (p1) -> conv2d 1x1 + ReLU (squeeze s1) ->
 * fireExpand (f2), input gradient only: dx against the CPU reference chain, and the number of ReLU-mask passes.
 */
async function pooledFireChain(d: Device, N: number): Promise<number> {
  const [C, H, W, S0, E1, E3, S1, F1, F3] = [3, 9, 7, 5, 6, 10, 4, 8, 4];
  const q = { kH: 3, kW: 3, sH: 2, sW: 2, pH: 0, pW: 0, ceilMode: true };
  const [Hp, Wp] = [4, 3];
  const sx: ConvShape = { N, Cin: C, H, W, Cout: S0, KH: 3, KW: 3, stride: 1, pad: 1 };
  const e1a: ConvShape = { N, Cin: S0, H, W, Cout: E1, KH: 1, KW: 1, stride: 1, pad: 0 };
  const e3a: ConvShape = { N, Cin: S0, H, W, Cout: E3, KH: 3, KW: 3, stride: 1, pad: 1 };
  const sq: ConvShape = { N, Cin: E1 + E3, H: Hp, W: Wp, Cout: S1, KH: 1, KW: 1, stride: 1, pad: 0 };
  const e1b: ConvShape = { N, Cin: S1, H: Hp, W: Wp, Cout: F1, KH: 1, KW: 1, stride: 1, pad: 0 };
  const e3b: ConvShape = { N, Cin: S1, H: Hp, W: Wp, Cout: F3, KH: 3, KW: 3, stride: 1, pad: 1 };
  const convs = [sx, e1a, e3a, sq, e1b, e3b];
  const xd = randn(N * C * H * W, 900);
  const ws = convs.map((c, i) => randn(c.Cout * c.Cin * c.KH * c.KW, 901 + i, 0.5));
  const bs = convs.map((c, i) => randn(c.Cout, 911 + i, 0.3));
  const r = randn(N * (F1 + F3) * Hp * Wp, 920);
  const spy = vi.spyOn(d.runtime, 'kernel');
  const dx = tidy(() => {
    const x = d.tensor(xd, [N, C, H, W], { requiresGrad: true });
    const t = (i: number) => [d.tensor(ws[i], [convs[i].Cout, convs[i].Cin, convs[i].KH, convs[i].KW]), d.tensor(bs[i], [convs[i].Cout])] as const;
    const s0 = conv2d(x, ...t(0), { padding: 1, activation: 'relu' });
    const f1 = fireExpand(s0, ...t(1), ...t(2));
    const p1 = maxPool2d(f1, { kernel: 3, stride: 2, ceilMode: true });
    const s1 = conv2d(p1, ...t(3), { activation: 'relu' });
    const f2 = fireExpand(s1, ...t(4), ...t(5));
    return grad(f2, [x], d.tensor(r, f2.shape))[0];
  });
  const got = await dx.toArray();
  dx.dispose();
  const calls = spy.mock.calls.map((a) => a[0]);
  spy.mockRestore();
  // The CPU chain: forward, then each backward with its own ReLU output as the mask.
  const split = (g: ArrayLike<number>, A: number, B: number, HW: number): [Float64Array, Float64Array] => {
    const a = new Float64Array(N * A * HW);
    const b = new Float64Array(N * B * HW);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < A * HW; i++) a[n * A * HW + i] = g[n * (A + B) * HW + i];
      for (let i = 0; i < B * HW; i++) b[n * B * HW + i] = g[(n * (A + B) + A) * HW + i];
    }
    return [a, b];
  };
  const fireBackward = (s: ArrayLike<number>, i: number, y1: ArrayLike<number>, y3: ArrayLike<number>, g: ArrayLike<number>): Float64Array => {
    const c1 = convs[i];
    const c3 = convs[i + 1];
    const [g1, g3] = split(g, c1.Cout, c3.Cout, c1.H * c1.W);
    const d3 = conv2dBackwardCpu(s, ws[i + 1], g3, c3, y3).dx;
    return conv2dBackwardCpu(s, ws[i], g1, c1, y1).dx.map((v, j) => v + d3[j]);
  };
  const ys0 = conv2dCpu(xd, ws[0], bs[0], sx, 'relu');
  const y1 = conv2dCpu(ys0, ws[1], bs[1], e1a, 'relu');
  const y3 = conv2dCpu(ys0, ws[2], bs[2], e3a, 'relu');
  const yf1 = concatChannelsCpu([{ data: y1, C: E1 }, { data: y3, C: E3 }], N, H * W);
  const pool = maxPool2dCpu(yf1, [N, E1 + E3, H, W], q);
  expect(pool.shape).toEqual([N, E1 + E3, Hp, Wp]);
  const ys1 = conv2dCpu(pool.out, ws[3], bs[3], sq, 'relu');
  const z1 = conv2dCpu(ys1, ws[4], bs[4], e1b, 'relu');
  const z3 = conv2dCpu(ys1, ws[5], bs[5], e3b, 'relu');
  const ds1 = fireBackward(ys1, 4, z1, z3, r);
  const dp1 = conv2dBackwardCpu(pool.out, ws[3], ds1, sq, ys1).dx;
  const df1 = maxPool2dBackwardCpu(dp1, pool.idx, [N, E1 + E3, H, W], pool.shape);
  const ds0 = fireBackward(ys0, 1, y1, y3, df1);
  const want = conv2dBackwardCpu(xd, ws[0], ds0, sx, ys0).dx;
  expect(relErr(got, want)).toBeLessThan(TOL);
  return calls.filter((k) => /^conv2d_(relu_mask|bias_grad)/.test(k.name)).length;
}

describe('fireExpand after a max-pool', () => {
  it('reads the pool-masked gradient slices directly where the input-gradient kernels can (no mask passes)', async () => {
    const d = await getDevice();
    convTuning.colBelowCin = 0; // the 3-channel conv's input gradient through the tiled kernels too
    for (const N of [1, 2]) {
      // Stride-1 input gradients through the forward kernel (SwiftShader's preset): f1's two slices come masked
      // from the pool's backward and are read in place; f2 (seeded), s1 and s0 take their mask passes.
      convTuning.inputGradAsForward = true;
      expect(await pooledFireChain(d, N)).toBe(4);
      // Through the phase kernel (lavapipe's default), which reads compact gradients: f1 compacts both slices.
      convTuning.inputGradAsForward = false;
      expect(await pooledFireChain(d, N)).toBe(6);
    }
  }, 300_000);
});

describe('conv2d errors name the op and the shapes', () => {
  it('rejects bad inputs', async () => {
    const d = await getDevice();
    const t = (shape: number[]): Tensor => d.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
    tidy(() => {
      expect(() => conv2d(t([4, 8, 8]), t([2, 4, 3, 3]), null)).toThrow(/conv2d: x must have rank 4.*\[4, 8, 8\]/);
      expect(() => conv2d(t([1, 4, 8, 8]), t([2, 4, 3]), null)).toThrow(/conv2d: weight must have rank 4.*\[2, 4, 3\]/);
      expect(() => conv2d(t([1, 4, 8, 8]), t([64, 3, 3, 3]), null)).toThrow(
        'conv2d: weight [64, 3, 3, 3] expects 3 input channels; x has shape [1, 4, 8, 8]',
      );
      expect(() => conv2d(t([1, 3, 8, 8]), t([64, 3, 3, 3]), t([32]))).toThrow(/conv2d: bias must have shape \[64\].*\[64, 3, 3, 3\].*got \[32\]/);
      expect(() => conv2d(t([1, 3, 8, 8]), t([64, 3, 3, 3]), t([64, 1]))).toThrow(/conv2d: bias.*\[64, 1\]/);
      expect(() => conv2d(t([1, 3, 2, 8]), t([4, 3, 3, 3]), null)).toThrow(/conv2d: kernel 3x3.*\[4, 3, 3, 3\].*larger than the padded input 2x8.*\[1, 3, 2, 8\]/);
      expect(() => conv2d(t([1, 3, 4, 4]), t([4, 3, 7, 1]), null, { padding: 1 })).toThrow(/conv2d: kernel 7x1.*padded input 6x6/);
      expect(() => conv2d(t([1, 3, 4, 4]), t([4, 3, 3, 3]), null, { stride: 0 })).toThrow(/conv2d: stride must be an integer >= 1; got 0/);
      expect(() => conv2d(t([1, 3, 4, 4]), t([4, 3, 3, 3]), null, { padding: -1 })).toThrow(/conv2d: padding/);
      expect(() => conv2d(t([1, 3, 4, 4]), t([4, 3, 3, 3]), null, { activation: 'tanh' as 'relu' })).toThrow(/conv2d: unknown activation 'tanh'/);
      expect(() => fireExpand(t([1, 4, 5, 5]), t([3, 4, 3, 3]), t([3]), t([5, 4, 3, 3]), t([5]))).toThrow(/fireExpand: w1 must have shape \[E1, C, 1, 1\]; got \[3, 4, 3, 3\]/);
      expect(() => fireExpand(t([1, 4, 5, 5]), t([3, 5, 1, 1]), t([3]), t([5, 4, 3, 3]), t([5]))).toThrow(
        'fireExpand: w1 [3, 5, 1, 1] expects 5 input channels; s has shape [1, 4, 5, 5]',
      );
      expect(() => fireExpand(t([4, 5, 5]), t([3, 4, 1, 1]), t([3]), t([5, 4, 3, 3]), t([5]))).toThrow(/fireExpand: s must have rank 4.*\[4, 5, 5\]/);
      expect(() => fireExpand(t([1, 4, 5, 5]), t([3, 4, 1, 1]), t([3]), t([5, 4, 3, 3]), t([4]))).toThrow(/fireExpand: b3 must have shape \[5\].*got \[4\]/);
    });
  });
});

/**
 * A second device with the 'subgroups' feature (the default device may not request it), so the subgroup
 * weight taps are tested wherever the adapter has them. Null when it does not.
 */
async function subgroupDevice(base: Device): Promise<Device | null> {
  const mod = (await import('webgpu')) as unknown as { create: (flags: string[]) => GPU };
  const gpu = mod.create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter || !adapter.features.has('subgroups')) return null;
  const device = await adapter.requestDevice({ requiredFeatures: ['subgroups'] });
  const rt = new Runtime(device, base.adapter, gpu);
  return new (Device as unknown as new (r: Runtime) => Device)(rt);
}

describe('subgroup weight taps', () => {
  it('give the same results as the vec4 taps (forward, all gradients, fireExpand)', async () => {
    const sd = await subgroupDevice(await getDevice());
    if (!sd) {
      // The adapter has no subgroups: the vec4 taps above are the only path.
      expect(sd).toBeNull();
      return;
    }
    const spy = vi.spyOn(sd.runtime, 'kernel');
    // One pixel per invocation keeps the (cold) shader compiles short; 32 channels take the vec4-load taps
    // (conv2d_tap_subgroup32.wgsl, cases with more than 16 channels), 16 all of the scalar subgroup tap, 12
    // its partial second group. The pixel tiling is the same code as with the vec4 taps above.
    // Then the 4-lane taps (conv2d_tap_subgroup4.wgsl, SwiftShader's), which any subgroup of >= 4 lanes runs:
    // 32 channels use both of its vec4 loads, 12 a partial group.
    const runs = [[0, [32, 16, 12]], [4, [32, 12]]] as const;
    for (const [run, tcs] of runs) {
      convTuning.subgroupRun = run;
      for (const tc of tcs) {
        for (const k of ['forward', 'forwardStrided', 'pointwise', 'backwardInput', 'pointwiseBackward', 'backwardWeight'] as const) {
          Object.assign(tileTable(sd.runtime)[k], { wg: 32, tc, tp: 1 });
        }
        tileTable(sd.runtime).backwardWeight.chunk = tc === 16 ? 512 : 23;
        for (let i = 0; i < CASES.length; i++) {
          if (tc === 12 && i % 3) continue;
          if (tc === 32 && Math.max(CASES[i].Cin, CASES[i].Cout) <= 16) continue;
          if (run === 4 && tc === 32 && i % 2) continue;
          const c = CASES[i];
          const v = data(c, 700 + 10 * i + tc + run);
          checkAgainstCpu(c, v, await runGpu(sd, c, v));
        }
      }
      if (run === 4) await checkFire(sd);
    }
    convTuning.subgroupRun = 0;
    await checkFire(sd);
    const names = spy.mock.calls.map((a) => kernelName(a[0]));
    spy.mockRestore();
    const info = (sd.runtime.device as GPUDevice & { adapterInfo?: { subgroupMinSize?: number } }).adapterInfo;
    if ((info?.subgroupMinSize ?? 0) >= 8) {
      expect(names).toContain('conv2d_backward_weight_sg');
      expect(names).toContain('conv2d_forward_sg');
      expect(names).toContain('conv2d_pointwise_sg');
      expect(names).toContain('conv2d_backward_input_sg');
      expect(names).toContain('conv2d_forward_sg32');
      expect(names).toContain('conv2d_pointwise_sg32');
      expect(names).toContain('conv2d_backward_input_sg32');
    }
    if ((info?.subgroupMinSize ?? 0) >= 4) {
      for (const k of ['conv2d_forward', 'conv2d_pointwise', 'conv2d_backward_input', 'conv2d_backward_weight']) expect(names).toContain(`${k}_sg4`);
    }
    sd.destroy();
  });
});
