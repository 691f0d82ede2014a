// npm run bench -- model [--batches 1,5,25] [--runs 5] [--warmup 1] [--random-weights] [--budget 270] [--json]
//
// 1. SqueezeNet 1.1 forward (224×224) at each batch size: wall ms per call including the read-back of the
//    logits (median and min over runs after warm-up), images/s, GFLOP/s (0.70 GFLOP of convolutions per image).
// 2. Weight import per file in ../shared/weights (torch zip .pth, legacy .pth, .onnx) and the safetensors
//    cache format (written in memory from the imported tensors): parse + validate (importSqueezeNet on the
//    bytes already in memory), the file read, and the upload to the GPU (SqueezeNet.fromStateDict + sync).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { adapterLine, args, Budget, fmtNum, intList, loadLibrary, loadWeightsModule, makeModel, posInt, randn, SHARED, table, timeAsync, today, machineLine } from './common.mjs';

const FWD_GFLOP = 0.6984; // convolutions of one 224×224 forward (see src/cli/bench.ts squeezeNetForwardFlops)
const HELP = 'npm run bench -- model [--batches 1,5,25] [--runs 5] [--warmup 1] [--random-weights] [--budget 270] [--json]';

export async function run(argv) {
  const o = args('model', argv, {
    batches: { type: 'string' }, runs: { type: 'string' }, warmup: { type: 'string' }, 'random-weights': { type: 'boolean' }, budget: { type: 'string' },
  });
  if (o.help) return console.log(HELP);
  const batches = intList('model', 'batches', o.batches, [1, 5, 25]);
  const runs = posInt('model', 'runs', o.runs, 5);
  const warmup = posInt('model', 'warmup', o.warmup, 1, 0);
  const budget = new Budget(Number(o.budget ?? 270));

  const g = await loadLibrary();
  const d = await g.Device.create();
  const { model, weights } = await makeModel(g, d, { random: o['random-weights'] });
  if (!o.json) console.log(`model on ${adapterLine(d.adapter)}; weights: ${weights}; ${machineLine()}; ${today()}`);

  // ---- forward ----
  const forward = [];
  for (const N of batches) {
    const prev = forward[forward.length - 1];
    if (!budget.take(`forward b${N}`, prev ? (prev.min_ms / prev.batch) * N * (warmup + 1) : 0)) continue;
    const x = d.tensor(randn(N * 3 * 224 * 224, N), [N, 3, 224, 224]);
    // Spend at most a fifth of what is left of the budget on one batch size.
    const t = await timeAsync(async () => {
      const y = g.tidy(() => model.logits(x));
      await y.toArray();
      y.dispose();
    }, { runs, warmup, budgetMs: budget.left() / 5 });
    x.dispose();
    forward.push({ batch: N, median_ms: t.median, min_ms: t.min, runs: t.runs, images_per_s: (N * 1000) / t.median, gflop_per_s: (N * FWD_GFLOP) / (t.median / 1000) });
    if (!o.json) process.stderr.write(`  forward b${N}: ${fmtNum(t.median)} ms\n`);
  }
  model.dispose();

  // ---- weight import ----
  const w = await loadWeightsModule(g);
  const files = existsSync(join(SHARED, 'weights')) ? readdirSync(join(SHARED, 'weights')).filter((f) => /\.(pth|onnx|safetensors)$/.test(f)).sort() : [];
  const imports = [];
  const importRuns = Math.max(7, runs);
  let safetensors = null;
  for (const f of files) {
    if (!budget.take(`import ${f}`)) continue;
    const path = join(SHARED, 'weights', f);
    const tr = await timeAsync(async () => readFileSync(path), { runs: importRuns, warmup: 1 });
    const bytes = new Uint8Array(readFileSync(path));
    const tp = await timeAsync(async () => w.importSqueezeNet(bytes, f), { runs: importRuns, warmup: 1 });
    const r = w.importSqueezeNet(bytes, f);
    const tu = await timeAsync(async () => {
      const m = g.SqueezeNet.fromStateDict(d, r.dict);
      await d.sync();
      m.dispose();
    }, { runs: importRuns, warmup: 1 });
    imports.push({ file: f, format: w.detectFormat ? w.detectFormat(bytes) : '', bytes: statSync(path).size, read_ms: tr.median, parse_ms: tp.median, upload_ms: tu.median });
    if (!safetensors && w.writeSafetensors) safetensors = { dict: r.dict, upload: tu.median };
  }
  if (safetensors && budget.take('import safetensors')) {
    const bytes = w.writeSafetensors(safetensors.dict);
    const tp = await timeAsync(async () => w.importSqueezeNet(bytes, 'squeezenet1_1.safetensors'), { runs: importRuns, warmup: 1 });
    imports.push({ file: '(weights cache, in memory)', format: 'safetensors', bytes: bytes.length, read_ms: NaN, parse_ms: tp.median, upload_ms: safetensors.upload });
  }

  if (o.json) {
    console.log(JSON.stringify({ adapter: d.adapter, weights, forward, imports }));
  } else {
    console.log('\nforward, 224×224 (wall time per call, logits read back)');
    table(['batch', 'median ms', 'min ms', 'runs', 'images/s', 'ms/image', 'GFLOP/s'],
      forward.map((r) => [r.batch, r.median_ms, r.min_ms, r.runs, r.images_per_s, r.median_ms / r.batch, r.gflop_per_s]));
    if (imports.length) {
      console.log('\nweight import (median of ' + importRuns + '): parse + validate from bytes in memory; file read; upload to the GPU');
      table(['file', 'format', 'MB', 'parse ms', 'read ms', 'upload ms'],
        imports.map((r) => [r.file, r.format, r.bytes / 1e6, r.parse_ms, r.read_ms, r.upload_ms]));
    } else {
      console.log(`\nweight import: no files in ${join(SHARED, 'weights')} (skipped)`);
    }
    budget.note();
  }
  d.destroy();
}
