// Golden tests: every public differentiable op (conv, pools, concat, the elementwise ops, softmax / logSoftmax,
// roll, gaussianBlur, clampChannels, the reductions, gatherRows / takeRows / slice) and a whole fire-module
// chain against PyTorch's forward outputs and gradients (tests/fixtures/ops/*.json, written by scripts/gen_op_fixtures.py; see tests/golden/README.md).
// Each case: loss = sum(out * R); out and every gradient must satisfy max|ours − torch| / max|torch| ≤ 1e-4.
import { describe, it, expect, afterAll } from 'vitest';
import { getDevice, relErr } from '../helpers/device.js';
import { mul, sum, grad, tidy, dispose, fmtShape, type Tensor } from '../../src/index.js';
import { FORWARDS, fireFused, fireSeparate, load, type Arr, type Case, type Forward } from './forwards.js';

const TOL = 1e-4;

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

// Every comparison, printed as a table at the end (the numbers for reports).
const table: { case: string; array: string; relErr: number; torchMax: number; ok: boolean }[] = [];

/**
 * Run one case: forward, loss = sum(out * R), gradients for every input (via grad(), or via loss.backward()
 * and .grad when useBackward), read back, compare. Returns the list of failures (empty when all pass).
 */
async function runCase(label: string, c: Case, forward: Forward, useBackward = false): Promise<string[]> {
  const d = await getDevice();
  const failures: string[] = [];
  const leaves = c.inputs.map((i) => d.tensor(Float32Array.from(i.data), i.shape, { requiresGrad: true, name: i.name }));
  const byName: Record<string, Tensor> = {};
  c.inputs.forEach((i, k) => (byName[i.name] = leaves[k]));
  try {
    const [out, ...grads] = tidy(() => {
      let out = forward(c, byName);
      if (!sameShape(out.shape, c.out.shape)) {
        // globalAvgPool2d may return [N, C] instead of torch's [N, C, 1, 1]: same values, accept and say so.
        const squeezed = c.op === 'global_avg_pool2d' && sameShape(out.shape, c.out.shape.slice(0, 2));
        if (!squeezed) throw new Error(`${label}: output shape ${fmtShape(out.shape)}, torch gives ${fmtShape(c.out.shape)}`);
        console.warn(`${label}: globalAvgPool2d returns ${fmtShape(out.shape)} (torch: ${fmtShape(c.out.shape)})`);
        out = out.reshape(c.out.shape);
      }
      const R = d.tensor(Float32Array.from(c.R.data), c.R.shape);
      const loss = sum(mul(out, R));
      let gs: Tensor[];
      if (useBackward) {
        loss.backward();
        gs = leaves.map((l, k) => {
          if (!l.grad) throw new Error(`${label}: backward() left no .grad on input '${c.inputs[k].name}'`);
          return l.grad;
        });
      } else gs = grad(loss, leaves);
      return [out, ...gs];
    });
    const check = (name: string, t: Tensor, ref: Arr, ours: Float32Array) => {
      if (!sameShape(t.shape, ref.shape)) {
        failures.push(`${name}: shape ${fmtShape(t.shape)}, torch ${fmtShape(ref.shape)}`);
        return;
      }
      const e = relErr(ours, ref.data);
      const torchMax = ref.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const ok = e <= TOL && Number.isFinite(e);
      table.push({ case: label, array: name, relErr: e, torchMax, ok });
      if (!ok) failures.push(`${name}: max|ours − torch| / max|torch| = ${e.toExponential(2)} (max|torch| ${torchMax.toPrecision(4)}, tol ${TOL})`);
    };
    check('out', out, c.out, await out.toArray());
    for (let k = 0; k < leaves.length; k++) {
      const n = c.inputs[k].name;
      check(`d/d ${n}`, grads[k], c.grads[n], await grads[k].toArray());
    }
    if (!useBackward) dispose(grads);
    out.dispose();
  } finally {
    dispose(leaves); // also frees the .grad tensors of the backward() variant
  }
  return failures.map((f) => `${label} ${f}`);
}

const files = [
  'conv2d.json', 'max_pool2d.json', 'avg_pool2d.json', 'cat.json',
  'elementwise.json', 'softmax.json', 'image.json', 'reduce.json', 'gather.json', 'channel_dot.json',
];

for (const file of files) {
  const fx = load(file);
  describe(`golden ${fx.op}`, () => {
    for (const c of fx.cases) {
      it(`${c.op} ${c.name}`, async () => {
        const forward = FORWARDS[c.op];
        if (!forward) throw new Error(`no forward for fixture op '${c.op}'`);
        expect(await runCase(`${c.op}/${c.name}`, c, forward)).toEqual([]);
      });
    }
  });
}

describe('golden fire chain (fire → max pool → fire → global avg pool)', () => {
  const fx = load('fire_chain.json');
  for (const c of fx.cases) {
    it(`${c.name}: separate conv2d + relu + concat, grad()`, async () => {
      expect(await runCase(`fire_chain/${c.name}[separate]`, c, fireSeparate)).toEqual([]);
    });
    it(`${c.name}: conv2d(activation relu) + fireExpand, loss.backward()`, async () => {
      expect(await runCase(`fire_chain/${c.name}[fireExpand]`, c, fireFused, true)).toEqual([]);
    });
    it(`${c.name}: forward + backward leave no live tensors behind`, async () => {
      const d = await getDevice();
      await runCase(`fire_chain/${c.name}[warm-up]`, c, fireFused);
      await d.sync();
      const before = d.memory().liveTensors;
      await runCase(`fire_chain/${c.name}[leak]`, c, fireSeparate);
      await runCase(`fire_chain/${c.name}[leak]`, c, fireFused, true);
      await d.sync();
      expect(d.memory().liveTensors).toBe(before);
    });
  }
});

afterAll(() => {
  const rows = table.filter((r) => !r.case.endsWith('[leak]') && !r.case.endsWith('[warm-up]'));
  if (!rows.length) return;
  const w = Math.max(...rows.map((r) => r.case.length));
  const lines = rows.map((r) => `${r.ok ? ' ' : '✗'} ${r.case.padEnd(w)}  ${r.array.padEnd(30)} ${r.relErr.toExponential(2)}  (max|torch| ${r.torchMax.toPrecision(3)})`);
  const worst = rows.reduce((a, b) => (b.relErr > a.relErr ? b : a));
  console.log(`golden ops: ${rows.length} comparisons, worst ${worst.relErr.toExponential(2)} (${worst.case} ${worst.array})\n${lines.join('\n')}`);
});
