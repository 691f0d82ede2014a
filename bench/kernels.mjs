// npm run bench -- kernels [--batches 1,8] [--runs 3] [--warmup 1] [--filter text] [--wall] [--budget 270] [--json]
//
// Every SqueezeNet 1.1 convolution shape (named by torchvision module) at 224×224 (18 distinct shapes; the four expand pairs occur twice in
// the network): forward (bias + ReLU fused, as the model runs it), gradient to the input, gradient to the
// weight; the fused fire expand (forward, input gradient); the three 3×3/2 ceil-mode max-pools, the global
// average pool and a fire concat (forward, input gradient).
//
// Timing: with the adapter's `timestamp-query` feature, GPU time from per-dispatch timestamp queries
// (runtime.setProfiling): the sum of the kernels one call records, median over runs. Without it (or with
// --wall), batched wall time: the call repeated `runs` times in one submit, then synced, divided by runs.
// Backward rows time only the backward: the forward graph is built once, and each run calls
// grad(y, [input], seed) on it.
// GFLOP/s counts 2 × multiply–adds (convs), one op per window element (pools), one per element (concat);
// GB/s counts each input read once and each output written once (the fastest a kernel could stream).
import { adapterLine, args, Budget, fmtNum, intList, loadLibrary, median, posInt, randn, table, today, machineLine } from './common.mjs';

// name, Cin, H, Cout, K, stride, pad, times in the network
const CONVS = [
  ['features.0', 3, 224, 64, 3, 2, 0, 1],
  ['features.3.squeeze', 64, 55, 16, 1, 1, 0, 1],
  ['features.4.squeeze', 128, 55, 16, 1, 1, 0, 1],
  ['features.3/4.expand1x1', 16, 55, 64, 1, 1, 0, 2],
  ['features.3/4.expand3x3', 16, 55, 64, 3, 1, 1, 2],
  ['features.6.squeeze', 128, 27, 32, 1, 1, 0, 1],
  ['features.7.squeeze', 256, 27, 32, 1, 1, 0, 1],
  ['features.6/7.expand1x1', 32, 27, 128, 1, 1, 0, 2],
  ['features.6/7.expand3x3', 32, 27, 128, 3, 1, 1, 2],
  ['features.9.squeeze', 256, 13, 48, 1, 1, 0, 1],
  ['features.10.squeeze', 384, 13, 48, 1, 1, 0, 1],
  ['features.9/10.expand1x1', 48, 13, 192, 1, 1, 0, 2],
  ['features.9/10.expand3x3', 48, 13, 192, 3, 1, 1, 2],
  ['features.11.squeeze', 384, 13, 64, 1, 1, 0, 1],
  ['features.12.squeeze', 512, 13, 64, 1, 1, 0, 1],
  ['features.11/12.expand1x1', 64, 13, 256, 1, 1, 0, 2],
  ['features.11/12.expand3x3', 64, 13, 256, 3, 1, 1, 2],
  ['classifier.1', 512, 13, 1000, 1, 1, 0, 1],
];
// name, squeeze channels, H, expand channels (each), times
const FIRES = [
  ['features.3/4.expand (fused)', 16, 55, 64, 2],
  ['features.6/7.expand (fused)', 32, 27, 128, 2],
  ['features.9/10.expand (fused)', 48, 13, 192, 2],
  ['features.11/12.expand (fused)', 64, 13, 256, 2],
];
// name, C, H (input of the pool)
const POOLS = [
  ['features.2 maxpool', 64, 111],
  ['features.5 maxpool', 128, 55],
  ['features.8 maxpool', 256, 27],
];

const HELP = `npm run bench -- kernels [--batches 1,8] [--runs 3] [--warmup 1] [--filter text] [--wall] [--budget 270] [--json]`;

export async function run(argv) {
  const o = args('kernels', argv, {
    batches: { type: 'string' }, runs: { type: 'string' }, warmup: { type: 'string' }, filter: { type: 'string' },
    wall: { type: 'boolean' }, budget: { type: 'string' },
  });
  if (o.help) return console.log(HELP);
  const batches = intList('kernels', 'batches', o.batches, [1, 8]);
  const runs = posInt('kernels', 'runs', o.runs, 3);
  const warmup = posInt('kernels', 'warmup', o.warmup, 1, 0);
  const filter = o.filter ?? '';
  const budget = new Budget(Number(o.budget ?? 270));

  const g = await loadLibrary();
  const d = await g.Device.create();
  const rt = d.runtime;
  const gpuTime = !o.wall && rt.hasTimestamps;
  const method = gpuTime ? 'GPU timestamps (timestamp-query), sum of the kernels of one call' : `batched wall time (${rt.hasTimestamps ? '--wall' : 'no timestamp-query on this adapter'})`;
  console.log(`kernels on ${adapterLine(d.adapter)}; ${method}; median of ${runs} after ${warmup} warm-up; ${machineLine()}; ${today()}`);

  let seed = 1;
  const tensor = (shape, opts) => d.tensor(randn(shape.reduce((a, b) => a * b, 1), seed++, 0.5), shape, opts);

  /** ms of one call of fn (returns a tensor or tensors to dispose) and the kernels it ran. */
  async function measure(fn) {
    const once = () => g.dispose(g.tidy(fn));
    for (let i = 0; i < warmup; i++) once();
    await d.sync();
    if (gpuTime) {
      const per = [];
      let kernels = new Map();
      for (let r = 0; r < runs; r++) {
        rt.setProfiling(true);
        once();
        rt.setProfiling(false);
        const t = await rt.takeTimings();
        per.push(t.reduce((s, k) => s + k.ms, 0));
        kernels = new Map();
        for (const k of t) kernels.set(k.name, (kernels.get(k.name) ?? 0) + 1);
      }
      return { ms: median(per), kernels: [...kernels].map(([n, c]) => (c > 1 ? `${n}×${c}` : n)).join(' ') };
    }
    const t0 = performance.now();
    for (let r = 0; r < runs; r++) once();
    await d.sync();
    return { ms: (performance.now() - t0) / runs, kernels: '' };
  }

  const results = [];
  const add = (batch, op, shape, pass, m, flops, bytes, times = 1) => {
    const r = { batch, op, shape, pass, ms: m.ms, gflops: flops / m.ms / 1e6, gbs: bytes / m.ms / 1e6, times, kernels: m.kernels };
    results.push(r);
    if (!o.json) process.stderr.write(`  b${batch} ${op} ${pass}: ${fmtNum(m.ms)} ms\n`);
  };

  for (const N of batches) {
    for (const [name, Cin, H, Cout, K, s, p, times] of CONVS) {
      if (filter && !name.includes(filter)) continue;
      if (!budget.take(`b${N} ${name}`)) continue;
      const Ho = Math.floor((H + 2 * p - K) / s) + 1;
      const xs = [N, Cin, H, H], ws = [Cout, Cin, K, K], ys = [N, Cout, Ho, Ho];
      const nx = N * Cin * H * H, nw = Cout * Cin * K * K, ny = N * Cout * Ho * Ho;
      const flops = 2 * N * Cout * Ho * Ho * Cin * K * K;
      const x = tensor(xs), w = tensor(ws), b = tensor([Cout]);
      const opts = { stride: s, padding: p, activation: 'relu' };
      const shape = `x[${xs}] w[${ws}] s${s} p${p}`;
      add(N, name, shape, 'forward', await measure(() => g.conv2d(x, w, b, opts)), flops, 4 * (nx + nw + Cout + ny), times);
      const xr = tensor(xs, { requiresGrad: true });
      const y = g.conv2d(xr, w, b, opts);
      const seedT = tensor(ys);
      add(N, name, shape, 'grad input', await measure(() => g.grad(y, [xr], seedT)), flops, 4 * (ny * 2 + nw + nx), times);
      const wr = tensor(ws, { requiresGrad: true });
      const yw = g.conv2d(x, wr, b, opts);
      add(N, name, shape, 'grad weight', await measure(() => g.grad(yw, [wr], seedT)), flops, 4 * (ny * 2 + nx + nw), times);
      g.dispose([x, w, b, xr, y, seedT, wr, yw]);
    }
    for (const [name, S, H, E, times] of FIRES) {
      if (filter && !name.includes(filter)) continue;
      if (!budget.take(`b${N} ${name}`)) continue;
      const ss = [N, S, H, H];
      const w1 = tensor([E, S, 1, 1]), b1 = tensor([E]), w3 = tensor([E, S, 3, 3]), b3 = tensor([E]);
      const ns = N * S * H * H, ny = N * 2 * E * H * H, nw = E * S * 10;
      const flops = 2 * N * E * H * H * S * 10;
      const shape = `s[${ss}] → [${N}, ${2 * E}, ${H}, ${H}]`;
      const sx = tensor(ss);
      add(N, name, shape, 'forward', await measure(() => g.fireExpand(sx, w1, b1, w3, b3)), flops, 4 * (ns + nw + ny), times);
      const sr = tensor(ss, { requiresGrad: true });
      const y = g.fireExpand(sr, w1, b1, w3, b3);
      const seedT = tensor(y.shape);
      add(N, name, shape, 'grad input', await measure(() => g.grad(y, [sr], seedT)), flops, 4 * (2 * ny + nw + ns), times);
      g.dispose([w1, b1, w3, b3, sx, sr, y, seedT]);
    }
    for (const [name, C, H] of POOLS) {
      if (filter && !name.includes(filter)) continue;
      if (!budget.take(`b${N} ${name}`)) continue;
      const xs = [N, C, H, H];
      const popts = { kernel: 3, stride: 2, ceilMode: true };
      const x = tensor(xs);
      const Ho = Math.ceil((H - 3) / 2) + 1;
      const nx = N * C * H * H, ny = N * C * Ho * Ho;
      const shape = `x[${xs}] 3×3/2 ceil`;
      add(N, name, shape, 'forward', await measure(() => g.maxPool2d(x, popts)), 9 * ny, 4 * (nx + ny));
      const xr = tensor(xs, { requiresGrad: true });
      const y = g.maxPool2d(xr, popts);
      const seedT = tensor(y.shape);
      add(N, name, shape, 'grad input', await measure(() => g.grad(y, [xr], seedT)), ny, 4 * (ny + nx));
      g.dispose([x, xr, y, seedT]);
    }
    if ((!filter || 'global avgpool'.includes(filter)) && budget.take(`b${N} global avgpool`)) {
      const xs = [N, 1000, 13, 13];
      const x = tensor(xs);
      const nx = N * 1000 * 169;
      add(N, 'global avgpool', `x[${xs}]`, 'forward', await measure(() => g.globalAvgPool2d(x)), nx, 4 * (nx + N * 1000));
      const xr = tensor(xs, { requiresGrad: true });
      const y = g.globalAvgPool2d(xr);
      const seedT = tensor(y.shape);
      add(N, 'global avgpool', `x[${xs}]`, 'grad input', await measure(() => g.grad(y, [xr], seedT)), nx, 4 * (nx + N * 1000));
      g.dispose([x, xr, y, seedT]);
    }
    if ((!filter || 'fire concat'.includes(filter)) && budget.take(`b${N} fire concat`)) {
      const xs = [N, 64, 55, 55];
      const a = tensor(xs), c = tensor(xs);
      const n = 2 * N * 64 * 55 * 55;
      const shape = `2 × [${xs}] → [${N}, 128, 55, 55]`;
      add(N, 'fire concat', shape, 'forward', await measure(() => g.concat([a, c], 1)), n, 4 * 2 * n);
      const ar = tensor(xs, { requiresGrad: true }), cr = tensor(xs, { requiresGrad: true });
      const y = g.concat([ar, cr], 1);
      const seedT = tensor(y.shape);
      add(N, 'fire concat', shape, 'grad input', await measure(() => g.grad(y, [ar, cr], seedT)), n, 4 * 2 * n);
      g.dispose([a, c, ar, cr, y, seedT]);
    }
  }

  if (o.json) {
    console.log(JSON.stringify({ adapter: d.adapter, method: gpuTime ? 'timestamp-query' : 'wall', runs, warmup, results }));
  } else {
    for (const N of batches) {
      const rows = results.filter((r) => r.batch === N);
      if (!rows.length) continue;
      console.log(`\nbatch ${N}`);
      table(['op', 'pass', 'shape', 'ms', 'GFLOP/s', 'GB/s', ...(gpuTime ? ['kernels'] : [])],
        rows.map((r) => [r.op, r.pass, r.shape, r.ms, r.gflops, r.gbs, ...(gpuTime ? [r.kernels] : [])]));
      const convs = rows.filter((r) => CONVS.some((c) => c[0] === r.op));
      const total = (pass) => convs.filter((r) => r.pass === pass).reduce((s, r) => s + r.ms * r.times, 0);
      const fwdFused = total('forward') - rows.filter((r) => r.pass === 'forward' && /expand(1x1|3x3)/.test(r.op)).reduce((s, r) => s + r.ms * r.times, 0) +
        rows.filter((r) => r.pass === 'forward' && r.op.includes('(fused)')).reduce((s, r) => s + r.ms * r.times, 0);
      if (convs.length === CONVS.length * 3) {
        console.log(`all 26 convs of the network, batch ${N}: forward ${fmtNum(total('forward'))} ms (with the fused expands ${fmtNum(fwdFused)} ms), ` +
          `input gradients ${fmtNum(total('grad input'))} ms, weight gradients ${fmtNum(total('grad weight'))} ms`);
      }
    }
    budget.note();
  }
  d.destroy();
}
