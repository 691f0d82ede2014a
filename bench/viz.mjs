// npm run bench -- viz [--batches 1,5,25] [--samples 4] [--iters 5] [--runs 3] [--random-weights] [--budget 200] [--json]
//
// The visualization algorithms through the public API (src/viz), wall time per call with the result read back:
//   saliency per method (vanilla, smoothgrad, integrated-gradients, gradcam) at each batch size, ms per call,
//     per image, and per gradient sample (SmoothGrad: --samples noisy gradients; IG: --samples Riemann steps
//     plus two forwards for the completeness check; vanilla and Grad-CAM: one gradient)
//   fooling: makeFoolingImages ms per iteration = (time with maxIter K − time with maxIter 0) / iterations run
//   classviz: classVisualization ms per iteration = (time with K iterations − time with 0) / K (blur every 10)
// Batches run smallest first; cases past the time budget are skipped and listed. Bigger batches reuse the
// pipelines compiled by smaller ones, so they run without a warm-up.
import { adapterLine, args, Budget, fmtNum, intList, loadLibrary, makeModel, posInt, randn, table, timeAsync, today, machineLine } from './common.mjs';

const METHODS = ['vanilla', 'smoothgrad', 'integrated-gradients', 'gradcam'];
const HELP = 'npm run bench -- viz [--batches 1,5,25] [--samples 4] [--iters 5] [--runs 3] [--random-weights] [--budget 200] [--json]';

export async function run(argv) {
  const o = args('viz', argv, {
    batches: { type: 'string' }, samples: { type: 'string' }, iters: { type: 'string' }, runs: { type: 'string' },
    'random-weights': { type: 'boolean' }, budget: { type: 'string' },
  });
  if (o.help) return console.log(HELP);
  const batches = intList('viz', 'batches', o.batches, [1, 5, 25]);
  const samples = posInt('viz', 'samples', o.samples, 4);
  const iters = posInt('viz', 'iters', o.iters, 5);
  const runs = posInt('viz', 'runs', o.runs, 3);
  const budget = new Budget(Number(o.budget ?? 200));

  const g = await loadLibrary();
  const d = await g.Device.create();
  const { model, weights } = await makeModel(g, d, { random: o['random-weights'] });
  if (!o.json) console.log(`viz on ${adapterLine(d.adapter)}; weights: ${weights}; ${machineLine()}; ${today()}`);
  const input = (n, seed) => d.tensor(randn(n * 3 * 224 * 224, seed), [n, 3, 224, 224]);
  const classes = (n) => Array.from({ length: n }, (_, i) => (i * 97 + 1) % 1000);

  const sal = [];
  const other = [];
  const warmed = new Set();
  const errors = [];
  const perImage = new Map(); // method → ms per image at the last batch size (to predict the next)
  const salCase = async (N, method) => {
    // ×2: per-image cost grows with the batch on a CPU adapter (memory traffic), so linear scaling underestimates.
    const predicted = perImage.has(method) ? 2 * perImage.get(method) * N * (warmed.has(method) ? 1 : 2) : 0;
    if (!budget.take(`${method} b${N}`, predicted)) return;
    const x = input(N, N);
    const cls = classes(N);
    const opts = { method, samples, seed: 0 };
    let t;
    try {
      t = await timeAsync(() => g.saliency(model, x, cls, opts), { runs, warmup: warmed.has(method) ? 0 : 1, budgetMs: budget.left() / 6 });
    } catch (e) {
      errors.push(`${method} b${N}: ${e.message.split('\n')[0]}`);
      return;
    } finally {
      x.dispose();
    }
    warmed.add(method);
    perImage.set(method, t.min / N);
    const grads = method === 'smoothgrad' || method === 'integrated-gradients' ? samples : 1;
    sal.push({ batch: N, method, samples: grads, median_ms: t.median, min_ms: t.min, runs: t.runs, per_image_ms: t.median / N, per_sample_ms: t.median / grads, per_image_sample_ms: t.median / N / grads });
    if (!o.json) process.stderr.write(`  ${method} b${N}: ${fmtNum(t.median)} ms\n`);
  };

  const foolCase = async () => {
    if (!budget.take('fooling')) return;
    const x = input(1, 11);
    // Target the class the image is least like, so it is not fooled within K steps.
    const lg = g.tidy(() => model.logits(x));
    const v = await lg.toArray();
    lg.dispose();
    const target = v.indexOf(Math.min(...v));
    let steps = 0;
    const once = async (maxIter) => {
      steps = 0;
      const r = await g.makeFoolingImages(model, x, [target], { maxIter, onStep: (i) => (steps = i) });
      r.fooled.dispose();
    };
    const t0 = await timeAsync(() => once(0), { runs, warmup: 1 });
    const tk = await timeAsync(() => once(iters), { runs, warmup: 1, budgetMs: budget.left() / 4 });
    x.dispose();
    const per = (tk.median - t0.median) / Math.max(1, steps);
    other.push({ workload: 'fooling (makeFoolingImages)', batch: 1, iterations: steps, total_ms: tk.median, fixed_ms: t0.median, per_iter_ms: per });
    if (!o.json) process.stderr.write(`  fooling: ${fmtNum(per)} ms/iteration\n`);
  };

  const classvizCase = async () => {
    if (!budget.take('classviz')) return;
    const once = async (iterations) => {
      const r = await g.classVisualization(model, d, 76, { iterations, scoreEvery: 0 });
      await r.image.toArray();
      r.image.dispose();
    };
    const t0 = await timeAsync(() => once(0), { runs, warmup: 1 });
    const tk = await timeAsync(() => once(iters), { runs, warmup: 1, budgetMs: budget.left() / 4 });
    const per = (tk.median - t0.median) / iters;
    other.push({ workload: 'class visualization', batch: 1, iterations: iters, total_ms: tk.median, fixed_ms: t0.median, per_iter_ms: per });
    if (!o.json) process.stderr.write(`  classviz: ${fmtNum(per)} ms/iteration\n`);
  };

  const guard = async (what, fn) => {
    try {
      await fn();
    } catch (e) {
      errors.push(`${what}: ${e.message.split('\n')[0]}`);
    }
  };
  for (const [k, N] of batches.entries()) {
    for (const m of METHODS) await salCase(N, m);
    if (k === 0) {
      await guard('fooling', foolCase);
      await guard('classviz', classvizCase);
    }
  }
  model.dispose();

  if (o.json) {
    console.log(JSON.stringify({ adapter: d.adapter, weights, samples, iters, saliency: sal, iterations: other, errors }));
  } else {
    console.log(`\nsaliency (wall ms per call, maps read back; SmoothGrad ${samples} samples, IG ${samples} steps + 2 forwards)`);
    table(['method', 'batch', 'median ms', 'min ms', 'runs', 'ms/image', 'ms/sample', 'ms/image/sample'],
      sal.map((r) => [r.method, r.batch, r.median_ms, r.min_ms, r.runs, r.per_image_ms, r.per_sample_ms, r.per_image_sample_ms]));
    if (other.length) {
      console.log(`\niterative algorithms (one image; per iteration = (K iterations − 0 iterations) / K)`);
      table(['algorithm', 'K', 'ms with K', 'ms with 0', 'ms/iteration'], other.map((r) => [r.workload, r.iterations, r.total_ms, r.fixed_ms, r.per_iter_ms]));
    }
    budget.note();
    for (const e of errors) console.log(`FAILED ${e}`);
  }
  d.destroy();
  if (errors.length) process.exitCode = 1;
}
