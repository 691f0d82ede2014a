// node bench/gpu_check.mjs [--quick] [--json] — correctness of the conv kernels on this adapter (run by
// bench/gpu.sh before timing anything): every kernel family forced to the implicit-GEMM tiles (64 x 64
// shrinking, and 32 x 32) and to the register tiles, against a float64 CPU reference of the forward, input,
// weight and bias gradients (loss sum(y * r), ReLU fused) on odd shapes and SqueezeNet 1.1's conv shapes at
// their real sizes; then the whole network (random weights, 224x224, batch 2): logits and the input gradient of
// two class scores with the gemm tiles against the register tiles. Exit code 1 when an error exceeds 1e-4
// (relative to the largest reference magnitude).
import { loadLibrary, rng } from './common.mjs';

const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');
const g = await loadLibrary();
const d = await g.Device.create();
// The tile table of this adapter (the library picks convTuning.gpu on adapters that are not CPUs).
const table = g.isCpuAdapter(d.adapter) ? g.convTuning : g.convTuning.gpu;
const saved = JSON.parse(JSON.stringify(table));
const FAMILIES = ['forward', 'forwardStrided', 'pointwise', 'backwardInput', 'pointwiseBackward', 'backwardWeight'];
const VARIANTS = {
  gemm64: { wg: 256, tc: 64, tp: 64, gemm: true },
  gemm32: { wg: 64, tc: 32, tp: 32, gemm: true },
  register: { wg: 64, tc: 16, tp: 4 },
};
function use(v) {
  for (const f of FAMILIES) table[f] = { ...VARIANTS[v], ...(f === 'backwardWeight' ? { chunk: 512 } : {}) };
}

const randn = (n, seed, s = 1) => {
  const r = rng(seed);
  const o = new Float32Array(n);
  for (let i = 0; i < n; i++) o[i] = Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r()) * s;
  return o;
};
const relErr = (a, b) => {
  let md = 0, mb = 0;
  for (let i = 0; i < a.length; i++) {
    md = Math.max(md, Math.abs(a[i] - b[i]));
    mb = Math.max(mb, Math.abs(b[i]));
  }
  return Number.isFinite(md) ? md / Math.max(mb, 1e-30) : Infinity;
};

/** Forward and gradients of sum(relu?(conv(x, w) + b) * r) in float64. */
function reference(c, x, w, b, r) {
  const { N, Cin, H, W, Cout, K, s, p, relu } = c;
  const Ho = Math.floor((H + 2 * p - K) / s) + 1, Wo = Math.floor((W + 2 * p - K) / s) + 1;
  const y = new Float64Array(N * Cout * Ho * Wo);
  for (let n = 0; n < N; n++) for (let co = 0; co < Cout; co++) for (let oy = 0; oy < Ho; oy++) for (let ox = 0; ox < Wo; ox++) {
    let acc = b[co];
    for (let ci = 0; ci < Cin; ci++) for (let kh = 0; kh < K; kh++) {
      const iy = oy * s - p + kh;
      if (iy < 0 || iy >= H) continue;
      for (let kw = 0; kw < K; kw++) {
        const ix = ox * s - p + kw;
        if (ix < 0 || ix >= W) continue;
        acc += w[((co * Cin + ci) * K + kh) * K + kw] * x[((n * Cin + ci) * H + iy) * W + ix];
      }
    }
    y[((n * Cout + co) * Ho + oy) * Wo + ox] = relu ? Math.max(acc, 0) : acc;
  }
  const dx = new Float64Array(x.length), dw = new Float64Array(w.length), db = new Float64Array(Cout);
  for (let n = 0; n < N; n++) for (let co = 0; co < Cout; co++) for (let oy = 0; oy < Ho; oy++) for (let ox = 0; ox < Wo; ox++) {
    const o = ((n * Cout + co) * Ho + oy) * Wo + ox;
    const gm = relu && !(y[o] > 0) ? 0 : r[o];
    if (gm === 0) continue;
    db[co] += gm;
    for (let ci = 0; ci < Cin; ci++) for (let kh = 0; kh < K; kh++) {
      const iy = oy * s - p + kh;
      if (iy < 0 || iy >= H) continue;
      for (let kw = 0; kw < K; kw++) {
        const ix = ox * s - p + kw;
        if (ix < 0 || ix >= W) continue;
        const xi = ((n * Cin + ci) * H + iy) * W + ix, wi = ((co * Cin + ci) * K + kh) * K + kw;
        dx[xi] += w[wi] * gm;
        dw[wi] += x[xi] * gm;
      }
    }
  }
  return { y, dx, dw, db, shape: [N, Cout, Ho, Wo] };
}

// [label, N, Cin, H(=W unless Wd), Cout, K, stride, pad, relu, Wd]
const CASES = [
  ['odd 3x3 s1 p1', 2, 7, 15, 10, 3, 1, 1, true, 13],
  ['odd 3x3 s2 p1', 2, 9, 11, 5, 3, 2, 1, true, 8],
  ['odd 5x5 s2 p2', 2, 2, 10, 3, 5, 2, 2, false, 9],
  ['odd 1x1 s1', 3, 33, 13, 17, 1, 1, 0, false, 15],
  ['odd 1x1 s2 p1', 2, 5, 6, 9, 1, 2, 1, false, 9],
  ['conv1 3->64 k3 s2', 1, 3, quick ? 57 : 224, 64, 3, 2, 0, true],
  ['fire2 squeeze 64->16', 2, 64, quick ? 17 : 55, 16, 1, 1, 0, true],
  ['fire2 expand3x3 16->64', 1, 16, quick ? 17 : 55, 64, 3, 1, 1, true],
  ['fire5 expand3x3 32->128 b3', 3, 32, quick ? 9 : 27, 128, 3, 1, 1, true],
  ['fire9 expand1x1 64->256', 3, 64, 13, 256, 1, 1, 0, true],
  ['classifier 512->1000', 1, 512, quick ? 5 : 13, 1000, 1, 1, 0, true],
];

const results = [];
let ok = true;
for (const [label, N, Cin, H, Cout, K, s, p, relu, Wd] of CASES) {
  const W = Wd ?? H;
  const c = { N, Cin, H, W, Cout, K, s, p, relu };
  const seed = results.length * 10 + 1;
  const x = randn(N * Cin * H * W, seed), w = randn(Cout * Cin * K * K, seed + 1, 1 / Math.sqrt(Cin * K * K)), b = randn(Cout, seed + 2, 0.1);
  const ref = reference(c, x, w, b, randn(N * Cout * (Math.floor((H + 2 * p - K) / s) + 1) * (Math.floor((W + 2 * p - K) / s) + 1), seed + 3));
  const r = randn(ref.y.length, seed + 3);
  for (const v of Object.keys(VARIANTS)) {
    use(v);
    const out = g.tidy(() => {
      const xt = d.tensor(x, [N, Cin, H, W], { requiresGrad: true });
      const wt = d.tensor(w, [Cout, Cin, K, K], { requiresGrad: true });
      const bt = d.tensor(b, [Cout], { requiresGrad: true });
      const y = g.conv2d(xt, wt, bt, { stride: s, padding: p, activation: relu ? 'relu' : 'none' });
      return [y, ...g.grad(y, [xt, wt, bt], d.tensor(r, y.shape))];
    });
    const [y, dx, dw, db] = await Promise.all(out.map((t) => t.toArray()));
    g.dispose(out);
    const e = { case: label, variant: v, y: relErr(y, ref.y), dx: relErr(dx, ref.dx), dw: relErr(dw, ref.dw), db: relErr(db, ref.db) };
    e.ok = [e.y, e.dx, e.dw, e.db].every((u) => u < 1e-4);
    ok &&= e.ok;
    results.push(e);
    if (!json) console.error(`${e.ok ? 'ok  ' : 'FAIL'} ${label.padEnd(28)} ${v.padEnd(8)} y ${e.y.toExponential(1)} dx ${e.dx.toExponential(1)} dw ${e.dw.toExponential(1)} db ${e.db.toExponential(1)}`);
  }
}

// The whole network: gemm tiles against the register tiles.
const dict = new Map();
// He-scaled weights (std sqrt(2 / fan-in)) and small biases, so that activations neither vanish nor blow up.
g.squeezeNetManifest().forEach(([name, shape], i) => dict.set(name, { shape: [...shape], data: randn(shape.reduce((a, b) => a * b, 1), 1000 + i, shape.length === 4 ? Math.sqrt(2 / (shape[1] * shape[2] * shape[3])) : 0.01) }));
const model = g.SqueezeNet.fromStateDict(d, dict);
const xm = d.tensor(randn(2 * 3 * 224 * 224, 9), [2, 3, 224, 224]);
const runModel = async () => {
  const out = g.tidy(() => [g.noGrad(() => model.logits(xm)), g.inputGradient(model, xm, [7, 901])]);
  const arr = await Promise.all(out.map((t) => t.toArray()));
  g.dispose(out);
  return arr;
};
use('register');
const base = await runModel();
const model_ = {};
for (const v of ['gemm64', 'gemm32']) {
  use(v);
  const [l, gr] = await runModel();
  const mag = (a) => a.reduce((m, u) => Math.max(m, Math.abs(u)), 0);
  model_[v] = { logits: relErr(l, base[0]), inputGradient: relErr(gr, base[1]), maxLogit: mag(base[0]), maxGradient: mag(base[1]) };
  // A comparison of vanishing values would prove nothing: the reference must be far from zero.
  const good = model_[v].logits < 1e-4 && model_[v].inputGradient < 1e-4 && model_[v].maxLogit > 1e-2 && model_[v].maxGradient > 1e-6;
  ok &&= good;
  if (!json) console.error(`${good ? 'ok  ' : 'FAIL'} SqueezeNet b2 224x224 ${v} vs register tiles: logits ${model_[v].logits.toExponential(1)}, input gradient ${model_[v].inputGradient.toExponential(1)}`);
}
for (const f of Object.keys(saved)) table[f] = saved[f];
g.dispose([xm]);
model.dispose();
const a = d.adapter;
console.log(JSON.stringify({ adapter: { vendor: a.vendor, architecture: a.architecture, description: a.description }, ok, cases: results, model: model_ }));
d.destroy();
process.exit(ok ? 0 : 1);
