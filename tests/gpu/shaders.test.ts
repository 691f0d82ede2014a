// Shader composition: the generated WGSL is what scripts/gen_shaders.mjs writes, compose() enforces the files'
// declarations, and every shader variant the engine can request compiles on the adapter at hand (checked to
// cover every variant a run of all the ops requests).
import { describe, it, expect, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { getDevice, randn } from '../helpers/device.js';
import { SHADERS } from '../../src/gpu/library.js';
import { ShaderLibrary, type ConstValue } from '../../src/gpu/compose.js';
import { UNARY_OPS, BINARY_OPS } from '../../src/ops/elementwise.js';
import { tapVariant } from '../../src/ops/conv/tuning.js';
import { ITEMS, elementTypes } from '../../src/tensor/device.js';
import {
  Device, add, avgPool2d, clampChannels, concat, conv2d, dispose, fireExpand, gatherRows, gaussianBlur, globalAvgPool2d,
  grad, logSoftmax, maxOverAxis, maxPool2d, mean, mul, rand, roll, slice, softmax, sqrt, sum, takeRows, tidy,
  abs, clamp, div, exp, greater, log, maximum, neg, relu, square, sub,
} from '../../src/index.js';

describe('generated shaders', () => {
  it('the committed conv tap and tile files are what the templates give', () => {
    const out = execFileSync(process.execPath, ['scripts/gen_shaders.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/up to date/);
  });
});

describe('compose()', () => {
  const lib = new ShaderLibrary({
    body: '//! requires: f\n//! const: N, FLAG: bool\n//! alias: T\nfn main() { let x: T = T(f(N)); }',
    a: 'enable subgroups;\n//! provides: f\nfn f(n: u32) -> f32 { return f32(n); }',
    b: '//! provides: f\nfn f(n: u32) -> f32 { return 2.0 * f32(n); }',
    solo: '//! provides: g\nfn g() {}',
  });
  it('puts enables first, then the constants, then providers before users', () => {
    const s = lib.compose('body', { N: 3, FLAG: true, T: 'f32' }, ['a']);
    const lines = s.source.split('\n');
    expect(lines[0]).toBe('enable subgroups;');
    expect(s.source).toContain('const N: u32 = 3u;');
    expect(s.source).toContain('const FLAG: bool = true;');
    expect(s.source).toContain('alias T = f32;');
    expect(s.source.indexOf('fn f(')).toBeLessThan(s.source.indexOf('fn main('));
    expect(lib.compose('body', { N: 3, FLAG: 1, T: 'f32' }, ['b']).hash).not.toBe(s.hash);
  });
  it('refuses missing, unknown and ill-typed constants, ambiguous and double providers', () => {
    expect(() => lib.compose('body', { N: 3, T: 'f32' }, ['a'])).toThrow(/missing constants FLAG/);
    expect(() => lib.compose('body', { N: 3, FLAG: 0, T: 'f32', X: 1 }, ['a'])).toThrow(/unknown constants X/);
    expect(() => lib.compose('body', { N: -1, FLAG: 0, T: 'f32' }, ['a'])).toThrow(/N must be a non-negative integer/);
    expect(() => lib.compose('body', { N: 1, FLAG: 0, T: 'f32' })).toThrow(/requires 'f', provided by 'a' and 'b': choose one/);
    expect(() => lib.compose('body', { N: 1, FLAG: 0, T: 'f32' }, ['a', 'b'])).toThrow(/'f' is provided by both 'a' and 'b'/);
    expect(() => new ShaderLibrary({ x: '//! provides: h\nfn g() {}' })).toThrow(/provides 'h' but does not define it/);
  });
  it('writes the declared parameter block with uniform alignment, bound after the last storage binding', () => {
    const plib = new ShaderLibrary({
      k: '//! params: n scale: f32\n//! params: w: vec4<f32>[2] last\n@group(0) @binding(0) var<storage, read> x: array<f32>;\n//! requires: tapw\nfn main() {}',
      taps: '//! provides: tapw\n@group(0) @binding(3) var<storage, read> wp: array<f32>;\nfn tapw() {}',
      rows: '//! provides: Params rowBase\n//! params: rows\nfn rowBase() {}',
      two: '//! requires: Params\n//! params: m\nfn main() {}',
    });
    const src = plib.compose('k').source;
    // n, scale at 0 and 4; w must start at 16 (two pad words); `last` at 48, then three pad words to 64.
    expect(src).toContain('struct Params {\n  n: u32, scale: f32, _pad0: u32, _pad1: u32,\n  w: array<vec4<f32>, 2>, last: u32, _pad2: u32, _pad3: u32,\n  _pad4: u32,\n}');
    expect(src).toContain('@group(0) @binding(4) var<uniform> p: Params;');
    expect(() => plib.compose('two')).toThrow(/parameters declared by both 'rows' and 'two'/);
    expect(() => new ShaderLibrary({ bad: '//! params: v: vec3<f32>' })).toThrow(/parameter 'v' has type 'vec3<f32>'/);
    expect(() => new ShaderLibrary({ bad: '//! params: _x' })).toThrow(/reserved for padding/);
  });
});

interface Variant { main: string; consts: Record<string, ConstValue>; with: string[]; entry: string }

/** Every variant the ops can request on `device` (the constant domains the launchers use). */
function engineVariants(device: Device): Variant[] {
  const out: Variant[] = [];
  const v = (main: string, consts: Record<string, ConstValue>, entry = 'main', w: string[] = []) => out.push({ main, consts, with: w, entry });
  const E = ITEMS;
  v('fill', { WG: 256, E });
  for (const v4 of [false, true]) {
    const types = elementTypes(v4);
    for (const OP of Object.values(UNARY_OPS)) v('unary', { ...types, OP, WG: 256, E });
    for (const OP of Object.values(BINARY_OPS)) {
      for (const BCAST of v4 ? [0] : [0, 1, 2]) for (let RANK = 0; RANK <= 8; RANK++) v('binary', { ...types, OP, BCAST, RANK, WG: 256, E });
    }
  }
  for (const OP of [0, 1]) {
    for (const BLOCK of [false, true]) for (const entry of ['main', 'main_wg']) v('reduce', { OP, WG: 64, BLOCK, E }, entry);
    for (let RANK = 0; RANK <= 8; RANK++) v('reduce_backward', { OP, WG: 256, RANK, E });
    for (const entry of ['main', 'main_wg']) {
      v('softmax', { LOG: OP, WG: 64 }, entry);
      v('softmax_backward', { LOG: OP, WG: 64 }, entry);
    }
    v('random', { DIST: OP, WG: 256 });
  }
  for (const entry of ['copy_block', 'pad_block']) v('concat', { WG: 256 }, entry);
  for (const entry of ['main', 'backward', 'take', 'take_backward']) v('gather', { WG: 256 }, entry);
  for (const entry of ['main', 'backward_x', 'backward_w']) v('channel_dot', { WG: 64 }, entry);
  v('roll', { WG: 256, E: 8 });
  for (let RC = 0; RC <= 8; RC++) v('blur', { WG: 256, RC, E }, 'main');
  v('blur', { WG: 256, RC: 0, E }, 'adjoint');
  for (const entry of ['main', 'backward']) v('clamp_channels', { WG: 256, E }, entry);
  for (let KW = 1; KW <= 4; KW++) for (let SW = 1; SW <= 4; SW++) for (const SAVE of [0, 1]) for (const entry of ['main', 'main_flat']) v('maxpool', { KW, SW, TPO: 8, SAVE, WG: 64 }, entry);
  for (const MASK of [0, 1]) v('maxpool_backward', { WG: 64, E: 4, MASK });
  for (const entry of ['main', 'backward', 'broadcast']) v('avgpool', { WG: 256 }, entry);
  // Convolution: the helper kernels, then the tiled bodies with every channel block and pixel tile.
  for (const TC of [4, 8, 12, 16, 32]) v('conv2d_pack', { WG: 64, TC });
  v('conv2d_relu_mask', { WG: 64, V: E });
  for (const MASK of [0, 1]) for (const BIAS of [0, 1]) v('conv2d_bias_grad', { WG: 64, MASK, BIAS });
  v('conv2d_reduce', { WG: 64 });
  for (const TP of [1, 3, 8]) for (const ACC of [0, 1]) for (const K3S2 of [0, 1]) v('conv2d_col2im', { WG: 64, TP, ACC, K3S2 });
  // With subgroups: the adapter's own taps and the 4-lane ones (SwiftShader's; they run on any subgroup of >= 4).
  const taps = (TC: number) => [...new Set([tapVariant(device.runtime, { wg: 64, tc: TC, tp: 4 }).shader, ...(device.runtime.device.features.has('subgroups') ? ['conv2d_tap_subgroup4'] : [])])];
  for (const TC of [4, 8, 12, 16, 32]) for (const tapName of taps(TC)) {
    const tap = [tapName];
    const t = (main: string, consts: Record<string, number>) => v(main, { WG: 64, TC, ...consts }, 'main', tap);
    // ROWS: the channel-major three-tap calls (convTuning.rowTaps) or one tap at a time. ACC: add into the
    // output (the fire-module backward; the forward kernel only as a stride-1 input gradient).
    for (const ROWS of [0, 1]) {
      for (const ACC of [0, 1]) {
        for (let TP = 1; TP <= 4; TP++) {
          for (const S1 of ACC ? [1] : [0, 1]) for (const [KHc, KWc] of [[0, 0], [3, 3], [1, 1]]) t('conv2d_forward', { TP, S1, WIDE: 0, KHc, KWc, ROWS, ACC, FLAT: 0 });
          t('conv2d_pointwise', { TP, WIDE: 0, ROWS, ACC });
          for (const [KHc, KWc, Sc] of [[0, 0, 0], [3, 3, 1], [3, 3, 2]]) t('conv2d_backward_input', { TP, KHc, KWc, Sc, ROWS, ACC });
        }
        for (const [KHc, KWc] of [[0, 0], [3, 3]]) t('conv2d_forward', { TP: 4, S1: 1, WIDE: 1, KHc, KWc, ROWS, ACC, FLAT: 0 });
        t('conv2d_forward', { TP: 4, S1: 1, WIDE: 1, KHc: 3, KWc: 3, ROWS, ACC, FLAT: 1 });
        // Stride 2 with three taps, wide (forwardStrided tp 8: conv1).
        if (!ACC) t('conv2d_forward', { TP: 4, S1: 0, WIDE: 1, KHc: 3, KWc: 3, ROWS, ACC, FLAT: 0 });
        t('conv2d_pointwise', { TP: 4, WIDE: 1, ROWS, ACC });
      }
    }
    for (let TP = 1; TP <= 4; TP++) {
      // The weight gradient halves its workgroup for narrow weights (conv1: K = 27), down to 8 lanes.
      for (const WG of [8, 16, 32, 64]) v('conv2d_backward_weight', { WG, TC, TP }, 'main', tap);
    }
  }
  // The implicit-GEMM kernels (GPU defaults; the tuner may pick them anywhere): 32 or 64 channels x pixels.
  for (const BM of [32, 64]) {
    for (const BN of [32, 64]) {
      for (const [KHc, KWc] of [[0, 0], [1, 1], [3, 3]]) {
        for (const AM of [0, 1]) v('conv2d_gemm_forward', { BM, BN, WGS: (BM * BN) / 16, AM, KHc, KWc });
        v('conv2d_gemm_backward_input', { BM, BN, WGS: (BM * BN) / 16, KHc, KWc });
        v('conv2d_gemm_backward_weight', { BM, BN, WGS: (BM * BN) / 16, KHc, KWc });
      }
    }
  }
  return out;
}

const key = (main: string, consts: Record<string, ConstValue>, w: readonly string[] = []) =>
  `${main}+${w.join('+')}|${Object.keys(consts).sort().map((k) => `${k}=${typeof consts[k] === 'string' ? consts[k] : Number(consts[k])}`).join(',')}`;

describe('every shader variant', () => {
  it('covers what a run of every op requests', async () => {
    const d = await getDevice();
    const spy = vi.spyOn(SHADERS, 'compose');
    tidy(() => {
      const x = d.tensor(randn(2 * 3 * 13 * 12, 1), [2, 3, 13, 12], { requiresGrad: true });
      const w = d.tensor(randn(20 * 3 * 9, 2, 0.3), [20, 3, 3, 3], { requiresGrad: true });
      const b = d.tensor(randn(20, 3), [20], { requiresGrad: true });
      const y = conv2d(x, w, b, { stride: 1, padding: 1, activation: 'relu' });
      const y2 = conv2d(y, d.tensor(randn(6 * 20 * 9, 4, 0.2), [6, 20, 3, 3], { requiresGrad: true }), null, { stride: 2 });
      const f = fireExpand(y, d.tensor(randn(5 * 20, 5), [5, 20, 1, 1], { requiresGrad: true }), d.tensor(randn(5, 6), [5]), d.tensor(randn(7 * 20 * 9, 7), [7, 20, 3, 3]), d.tensor(randn(7, 8), [7]));
      const p = maxPool2d(f, { kernel: 3, stride: 2, ceilMode: true });
      const a = avgPool2d(y2, { kernel: 2 });
      const g = globalAvgPool2d(f);
      const c = concat([p.reshape([2, -1]), a.reshape([2, -1])], 1);
      const s = slice(c, 1, 2, 9);
      const el = [neg(s), abs(s), square(s), sqrt(abs(s)), exp(s), log(add(abs(s), 1)), clamp(s, -0.5, 0.5), maximum(s, mul(s, 0.5)), div(s, add(abs(s), 1)), sub(s, 1)];
      const sm = [softmax(c, 1), logSoftmax(c, 1), maxOverAxis(c, 1), mean(g, [1])];
      const im = [roll(x, 1, 2), gaussianBlur(x, 1), clampChannels(x, [-1, -1, -1], [1, 1, 1]), greater(x, 0)];
      const gr = [gatherRows(c, [0, 1]), takeRows(c, [1, 0]), rand(d, [5], 3)];
      const loss = sum(add(sum(mul(y, y)), add(sum(el.map((t) => sum(t)).reduce((u, v) => add(u, v))), sum([...sm, ...im, ...gr].map((t) => sum(t)).reduce((u, v) => add(u, v))))));
      grad(loss, [x, w, b]);
    });
    const requested = spy.mock.calls.map(([main, consts, w]) => key(main, consts ?? {}, w));
    spy.mockRestore();
    const known = new Set(engineVariants(d).map((v) => key(v.main, v.consts, v.with)));
    const missing = [...new Set(requested)].filter((k) => !known.has(k));
    expect(missing).toEqual([]);
    expect(new Set(requested.map((k) => k.split('|')[0].split('+')[0])).size).toBeGreaterThan(20);
  }, 300_000);

  it('compile on this adapter (with the subgroups feature when it has it)', async () => {
    const base = await getDevice();
    const devices: Device[] = [base];
    const sub = await subgroupDevice(base);
    if (sub) devices.push(sub);
    for (const d of devices) {
      const dev = d.runtime.device;
      const variants = engineVariants(d);
      const errors: string[] = [];
      for (const v of variants) {
        const s = SHADERS.compose(v.main, v.consts, v.with);
        dev.pushErrorScope('validation');
        const module = dev.createShaderModule({ code: s.source, label: s.name });
        const info = await module.getCompilationInfo();
        const err = await dev.popErrorScope();
        const msgs = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
        if (err || msgs.length) errors.push(`${key(v.main, v.consts, v.with)}: ${err?.message ?? ''} ${msgs.join('; ')}`);
        // Pipelines (the driver's compile) for the small kernels; the tiled conv bodies run in tests/ops/conv2d.
        if (!v.with.length) d.runtime.kernel(s, v.entry);
      }
      await d.sync();
      expect(errors).toEqual([]);
      expect(variants.length).toBeGreaterThan(300);
    }
    sub?.destroy();
  }, 600_000);
});

/** A second device with the 'subgroups' feature when the adapter has it (the default device may not ask). */
async function subgroupDevice(base: Device): Promise<Device | null> {
  const { Runtime } = await import('../../src/gpu/runtime.js');
  const mod = (await import('webgpu')) as unknown as { create: (flags: string[]) => GPU };
  const gpu = mod.create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter || !adapter.features.has('subgroups') || base.runtime.device.features.has('subgroups')) return null;
  const device = await adapter.requestDevice({ requiredFeatures: ['subgroups'] });
  return new (Device as unknown as new (r: InstanceType<typeof Runtime>) => Device)(new Runtime(device, base.adapter, gpu));
}
