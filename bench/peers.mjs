// npm run bench -- peers [--runs 5] [--warmup 1] [--batches 1,5] [--random-weights] [--no-torch] [--json]
//
// `gradsight bench`'s workloads, measured in one run on the same WebGPU adapter:
//   ours   `node dist/cli.js bench --json` in a child process (its own Dawn device)
//   tfjs   TensorFlow.js 4.22 with @tensorflow/tfjs-backend-webgpu, in this process, on Dawn's adapter
//          (SqueezeNet 1.1 written with tfjs ops: bench/tfjs_squeezenet.mjs)
//   torch  PyTorch on the CPU (bench/torch_peer.py under /usr/bin/python3, 2 threads), when available
// Workloads: forward and saliency at each batch size (default 1 and 5); fooling iteration and class-
// visualization step at the first. Saliency and the class-visualization step differentiate each image's one
// class score (gradsight's SqueezeNet.classScores and TfjsSqueezeNet.classScores: the classifier conv for that
// class only), the fooling step all logits (it needs the top one), on both sides; PyTorch computes all logits
// everywhere. Every run awaits a read-back of its result; median (and min) over --runs
// after --warmup. The ratio is tfjs ms / ours ms (above 1: gradsight is faster). All three use the same weights:
// ../shared/weights/squeezenet1_1.pth when present (tfjs gets the tensors transposed to its layout), else
// random N(0, 0.05). Ours and tfjs alternate per batch size, so slow drifts in machine load hit both.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { adapterLine, args, ensureBuilt, fmtNum, intList, loadLibrary, loadWeightsModule, posInt, randn, ROOT, SHARED, table, timeAsync, today, machineLine } from './common.mjs';
import { initTfjsWebGPU, TfjsSqueezeNet, tfjsAdapter, tfjsWorkloads, randomStateDict } from './tfjs_squeezenet.mjs';

const HELP = 'npm run bench -- peers [--runs 5] [--warmup 1] [--batches 1,5] [--random-weights] [--no-torch] [--json]';
const PYTHON = '/usr/bin/python3';
const TFJS_NAME = { forward: 'forward', saliency: 'saliency', fooling: 'foolingIter', classviz: 'classvizStep' };
const KEY = { forward: 'forward', saliency: 'saliency', fooling: 'fooling_iter', classviz: 'classviz_step' };

function workloadsFor(batch, first) {
  return first ? ['forward', 'saliency', 'fooling', 'classviz'] : ['forward', 'saliency'];
}

/** gradsight bench --json in a child process. */
function ours(batch, only, { runs, warmup, weightArgs }) {
  const cli = process.env.GRADSIGHT_CLI ?? join(ROOT, 'dist', 'cli.js');
  const argv = [cli, 'bench', '--json', '--batch', String(batch), '--runs', String(runs), '--warmup', String(warmup), '--only', only.join(','), ...weightArgs];
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    throw new Error(`gradsight bench --batch ${batch} failed (exit ${r.status}):\n${[r.stderr, r.stdout].join('\n').trim().split('\n').slice(-8).join('\n')}`);
  }
  return JSON.parse(last);
}

/** Max |logit difference| between the tfjs SqueezeNet and gradsight's (dist/index.js) on one seeded image. */
async function checkAgreement(tf, net, dict) {
  const g = await loadLibrary();
  const d = await g.Device.create();
  try {
    const x = randn(3 * 224 * 224, 99);
    const model = g.SqueezeNet.fromStateDict(d, dict);
    const xt = d.tensor(x, [1, 3, 224, 224]);
    const cls = [1];
    const [y, sc] = g.tidy(() => [model.logits(xt), model.classScores(xt, cls)]);
    const a = await y.toArray();
    const sa = (await sc.toArray())[0];
    g.dispose([xt, y, sc]);
    model.dispose();
    const [yt, st] = tf.tidy(() => {
      const xn = tf.transpose(tf.tensor4d(x, [1, 3, 224, 224]), [0, 2, 3, 1]);
      return [net.forward(xn), net.classScores(xn, tf.tensor1d(cls, 'int32'))];
    });
    const b = await yt.data();
    const sb = (await st.data())[0];
    tf.dispose([yt, st]);
    let maxAbs = 0, scale = 0;
    for (let i = 0; i < a.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(a[i]));
    }
    // The one-class score both sides differentiate in saliency and class visualization: logit 1 itself.
    const scoreDiff = Math.max(Math.abs(sa - sb), Math.abs(sa - a[cls[0]]));
    if (!(maxAbs <= 1e-3 * Math.max(1, scale)) || !(scoreDiff <= 1e-3 * Math.max(1, scale))) {
      throw new Error(`the tfjs SqueezeNet does not match gradsight's (max |Δlogit| ${maxAbs}, |Δ class score| ${scoreDiff} for logits up to ${scale}): the comparison would be meaningless`);
    }
    return { maxAbs, scale, scoreDiff };
  } finally {
    d.destroy();
  }
}

export async function run(argv) {
  const o = args('peers', argv, {
    runs: { type: 'string' }, warmup: { type: 'string' }, batches: { type: 'string' }, 'random-weights': { type: 'boolean' }, 'no-torch': { type: 'boolean' },
  });
  if (o.help) return console.log(HELP);
  const runs = posInt('peers', 'runs', o.runs, 5);
  const warmup = posInt('peers', 'warmup', o.warmup, 1, 0);
  const batches = intList('peers', 'batches', o.batches, [1, 5]);
  const log = (m) => process.stderr.write(`${m}\n`);
  if (!process.env.GRADSIGHT_CLI) ensureBuilt({ needCli: true, log });

  // Weights: the shared pretrained file for all three peers when it is there.
  const shared = join(SHARED, 'weights', 'squeezenet1_1.pth');
  const useShared = !o['random-weights'] && existsSync(shared);
  let dict;
  if (useShared) {
    const w = await loadWeightsModule(null);
    const { readFileSync } = await import('node:fs');
    dict = w.importSqueezeNet(new Uint8Array(readFileSync(shared)), shared).dict;
  } else dict = randomStateDict();
  const weightArgs = useShared ? ['--weights', shared] : ['--random-weights'];
  const weights = useShared ? '../shared/weights/squeezenet1_1.pth' : 'random N(0, 0.05)';

  const tf = await initTfjsWebGPU();
  const tfa = tfjsAdapter(tf);
  const net = new TfjsSqueezeNet(tf, dict);
  log(`peers: ${runs} runs after ${warmup} warm-up; weights ${weights}; tfjs ${tf.version_core} on ${adapterLine(tfa)}`);

  // The peer must compute the same network: compare its logits with gradsight's on one image.
  const agree = await checkAgreement(tf, net, dict);
  log(`  tfjs vs gradsight logits on one image: max |Δ| ${agree.maxAbs.toExponential(2)} (largest |logit| ${agree.scale.toFixed(2)}); one-class score (classScores) vs the logit: |Δ| ${agree.scoreDiff.toExponential(2)}`);

  const rows = {};
  let adapter = null;
  for (const [k, N] of batches.entries()) {
    const only = workloadsFor(N, k === 0);
    log(`  gradsight, batch ${N}: ${only.join(', ')}`);
    const r = ours(N, only, { runs, warmup, weightArgs });
    adapter ??= r.adapter;
    for (const w of only) {
      const key = `${KEY[w]}_b${N}`;
      rows[key] = { ours: r.results[key] };
    }
    log(`  tfjs-webgpu, batch ${N}: ${only.join(', ')}`);
    const wl = tfjsWorkloads(tf, net, N);
    for (const w of only) {
      const t = await timeAsync(wl[TFJS_NAME[w]], { runs, warmup });
      rows[`${KEY[w]}_b${N}`].tfjs = { median_ms: t.median, min_ms: t.min, runs: t.runs };
    }
    wl.dispose();
  }
  net.dispose();

  // PyTorch on the CPU.
  let torch = null;
  let torchNote = '';
  if (o['no-torch']) torchNote = 'skipped (--no-torch)';
  else if (!existsSync(PYTHON)) torchNote = `skipped: ${PYTHON} not found`;
  else {
    log('  pytorch (cpu)');
    const r = spawnSync(PYTHON, [join(ROOT, 'bench', 'torch_peer.py'), '--batches', batches.join(','), '--runs', String(runs), '--warmup', String(warmup), ...(useShared ? ['--weights', shared] : ['--random-weights'])], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
    const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    if (r.status === 0 && last.startsWith('{')) {
      torch = JSON.parse(last);
      for (const [key, v] of Object.entries(torch.results)) if (rows[key]) rows[key].torch = v;
    } else torchNote = `skipped: torch_peer.py failed (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`;
  }

  const ratio = (a, b) => (a && b ? a / b : NaN);
  const out = Object.entries(rows).map(([key, r]) => ({
    workload: key,
    ours_ms: r.ours?.median_ms, tfjs_ms: r.tfjs?.median_ms, torch_ms: r.torch?.median_ms,
    ours_min_ms: r.ours?.min_ms, tfjs_min_ms: r.tfjs?.min_ms, torch_min_ms: r.torch?.min_ms,
    tfjs_over_ours: ratio(r.tfjs?.median_ms, r.ours?.median_ms),
    tfjs_over_ours_min: ratio(r.tfjs?.min_ms, r.ours?.min_ms),
    torch_over_ours: ratio(r.torch?.median_ms, r.ours?.median_ms),
  }));

  if (o.json) {
    console.log(JSON.stringify({ date: today(), adapter, tfjs: { version: tf.version_core, adapter: tfa, maxAbsLogitDiff: agree.maxAbs }, torch: torch && { ...torch, results: undefined }, weights, runs, warmup, results: out, torchNote }));
    return;
  }
  console.log(`\ngradsight vs TensorFlow.js ${tf.version_core} (webgpu) on ${adapterLine(adapter ?? tfa)}${torch ? ` vs PyTorch ${torch.torch} (CPU, ${torch.threads} threads)` : ''}; ${today()}`);
  console.log(`median ms of ${runs} runs after ${warmup} warm-up, each awaiting its result; saliency and class-viz with one-class scores for gradsight and tfjs, all logits for PyTorch; weights: ${weights}; tfjs and gradsight logits agree to ${agree.maxAbs.toExponential(1)}; ${machineLine()}`);
  table(
    ['workload', 'ours ms', 'tfjs ms', 'tfjs/ours', 'tfjs/ours (min)', ...(torch ? ['torch ms', 'torch/ours'] : [])],
    out.map((r) => [r.workload, r.ours_ms, r.tfjs_ms, r.tfjs_over_ours, r.tfjs_over_ours_min, ...(torch ? [r.torch_ms, r.torch_over_ours] : [])]),
  );
  if (torchNote) console.log(`PyTorch column ${torchNote}`);
  const worst = Math.min(...out.map((r) => r.tfjs_over_ours).filter(Number.isFinite));
  console.log(`slowest ratio tfjs/ours: ${fmtNum(worst)}× (the goal is ≥ 10×)`);
}
