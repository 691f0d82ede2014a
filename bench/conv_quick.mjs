// Quick conv timing (not a test): node bench/conv_quick.mjs [batch] [reps] [name filter | 'net']
// Bundles the TypeScript sources with esbuild (WGSL as text), then times SqueezeNet 1.1 conv shapes on the
// default adapter: forward, input gradient (the visualizations' path) and weight gradient (both backward only,
// on a stored forward), ms per call: the minimum wall clock over `reps` calls after two warm-up calls, GPU
// synced, with the process CPU time. 'net': every SqueezeNet conv layer (fire expands through fireExpand).
// PROFILE=1 adds per-kernel GPU timestamps; SUBGROUPS=1 runs on a device created with the 'subgroups'
// feature (the subgroup weight taps); CONV_TUNE='{"forward":{"tc":8,"tp":2}}' overrides tile sizes.
import * as esbuild from 'esbuild';
import { mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'node_modules', '.cache', 'gradsight-bench');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, 'conv_quick.mjs');
await esbuild.build({
  stdin: {
    // The engine modules only (not src/index.ts), so the script runs while other parts are in progress.
    contents: "export * from './src/tensor/index.ts'; export * as conv from './src/ops/conv.ts'; export { Runtime } from './src/gpu/runtime.ts';",
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  format: 'esm',
  platform: 'node',
  outfile,
  loader: { '.wgsl': 'text' },
  external: ['webgpu'],
  logLevel: 'warning',
});
const G = await import(pathToFileURL(outfile).href);

const batch = Number(process.argv[2] ?? 1);
const reps = Number(process.argv[3] ?? 5);
const filter = process.argv[4] ?? '';
if (process.env.CONV_TUNE) {
  const t = JSON.parse(process.env.CONV_TUNE);
  for (const [k, v] of Object.entries(t)) {
    if (typeof v === 'object') Object.assign(G.conv.convTuning[k], v);
    else G.conv.convTuning[k] = v;
  }
}

const shapes = [
  // name, Cin, H, Cout, K, stride, pad
  ['conv1 3->64 k3 s2', 3, 224, 64, 3, 2, 0],
  ['squeeze 64->16 k1', 64, 55, 16, 1, 1, 0],
  ['expand 16->64 k1', 16, 55, 64, 1, 1, 0],
  ['expand 16->64 k3', 16, 55, 64, 3, 1, 1],
  ['squeeze 128->32 k1', 128, 27, 32, 1, 1, 0],
  ['expand 32->128 k3', 32, 27, 128, 3, 1, 1],
  ['squeeze 384->64 k1', 384, 13, 64, 1, 1, 0],
  ['expand 64->256 k3', 64, 13, 256, 3, 1, 1],
  ['classifier 512->1000 k1', 512, 13, 1000, 1, 1, 0],
];

let d = await G.Device.create();
if (process.env.SUBGROUPS === '1') {
  const { create } = await import('webgpu');
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter.features.has('subgroups')) throw new Error('the adapter has no subgroups');
  const device = await adapter.requestDevice({ requiredFeatures: ['subgroups', 'timestamp-query'] });
  d = new G.Device(new G.Runtime(device, d.adapter, gpu));
}
console.log(`${d.adapter.description || d.adapter.vendor}, subgroups: ${d.runtime.device.features.has('subgroups')}`);
function rand(n, s) {
  const a = new Float32Array(n);
  let v = s;
  for (let i = 0; i < n; i++) { v = (v * 1103515245 + 12345) >>> 0; a[i] = (v / 4294967296 - 0.5) * 0.2; }
  return a;
}

// Minimum wall time of one call (GPU synced) over `reps` calls after two warm-up calls, and the minimum CPU
// time of the process during a call (lavapipe's worker threads included: on a shared machine this is the
// steadier measure of the work; on a real GPU it is only the driver overhead).
const profile = !!process.env.PROFILE && d.runtime.setProfiling(true);
async function time(fn) {
  for (let i = 0; i < 2; i++) G.tidy(fn);
  await d.sync();
  if (profile) await d.runtime.takeTimings();
  let wall = Infinity;
  let cpu = Infinity;
  let kernels = null;
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    G.tidy(fn);
    await d.sync();
    wall = Math.min(wall, performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
    if (profile) {
      // GPU time per dispatch (timestamp queries), minimum over the calls.
      const t = await d.runtime.takeTimings();
      kernels ??= t.map((k) => ({ ...k, ms: Infinity }));
      t.forEach((k, j) => { if (kernels[j]) kernels[j].ms = Math.min(kernels[j].ms, k.ms); });
    }
  }
  return { wall, cpu, kernels };
}
const fmt = (t) => `${t.wall.toFixed(2)} (cpu ${t.cpu.toFixed(1)})`;
const kfmt = (t) => (t.kernels ?? []).map((k) => `${k.name.replace('conv2d_', '')} ${k.ms.toFixed(2)}`).join(', ');

if (filter === 'net') {
  // All SqueezeNet 1.1 convs at 224x224 (each layer on its own random input of the right shape; pooling
  // and the rest of the network are not included): forward, and the input gradient (backward only) per layer.
  const fires = [[64, 16, 64, 55], [128, 16, 64, 55], [128, 32, 128, 27], [256, 32, 128, 27], [256, 48, 192, 13], [384, 48, 192, 13], [384, 64, 256, 13], [512, 64, 256, 13]];
  const layers = [];
  const T = (shape, seed, rg = false) => d.tensor(rand(shape.reduce((a, b) => a * b, 1), seed), shape, { requiresGrad: rg });
  layers.push({ name: 'conv1', x: [batch, 3, 224, 224], run: (x, P) => G.conv.conv2d(x, P[0], P[1], { stride: 2, activation: 'relu' }), params: [[64, 3, 3, 3], [64]] });
  for (const [cin, sq, ex, hw] of fires) {
    layers.push({ name: `squeeze ${cin}->${sq} @${hw}`, x: [batch, cin, hw, hw], run: (x, P) => G.conv.conv2d(x, P[0], P[1], { activation: 'relu' }), params: [[sq, cin, 1, 1], [sq]] });
    layers.push({ name: `expand ${sq}->${ex}+${ex} @${hw}`, x: [batch, sq, hw, hw], run: (x, P) => G.conv.fireExpand(x, P[0], P[1], P[2], P[3]), params: [[ex, sq, 1, 1], [ex], [ex, sq, 3, 3], [ex]] });
  }
  layers.push({ name: 'classifier 512->1000 @13', x: [batch, 512, 13, 13], run: (x, P) => G.conv.conv2d(x, P[0], P[1], { activation: 'relu' }), params: [[1000, 512, 1, 1], [1000]] });
  let tf = 0, tb = 0, cf = 0, cb = 0;
  const out = [];
  for (const L of layers) {
    const x = T(L.x, 1, true);
    const P = L.params.map((sh, i) => T(sh, 10 + i));
    const f = await time(() => G.noGrad(() => L.run(x, P)));
    const y = L.run(x, P);
    const seed = T(y.shape, 5);
    const b = await time(() => G.grad(y, [x], seed));
    out.push({ layer: L.name, 'fwd ms': fmt(f), 'dx ms': fmt(b), ...(profile ? { kernels: `${kfmt(f)} | ${kfmt(b)}` } : {}) });
    tf += f.wall;
    tb += b.wall;
    cf += f.cpu;
    cb += b.cpu;
    G.dispose(x, P, y, seed);
  }
  out.push({ layer: 'total', 'fwd ms': fmt({ wall: tf, cpu: cf }), 'dx ms': fmt({ wall: tb, cpu: cb }) });
  console.table(out);
  d.destroy();
  process.exit(0);
}

const rows = [];
for (const [name, Cin, H, Cout, K, s, p] of shapes) {
  if (filter && !name.includes(filter)) continue;
  const x = d.tensor(rand(batch * Cin * H * H, 1), [batch, Cin, H, H], { requiresGrad: true });
  const w = d.tensor(rand(Cout * Cin * K * K, 2), [Cout, Cin, K, K]);
  const b = d.tensor(rand(Cout, 3), [Cout]);
  const wg = d.tensor(rand(Cout * Cin * K * K, 2), [Cout, Cin, K, K], { requiresGrad: true });
  const fwd = await time(() => G.noGrad(() => G.conv.conv2d(x, w, b, { stride: s, padding: p, activation: 'relu' })));
  const y = G.conv.conv2d(x, w, b, { stride: s, padding: p, activation: 'relu' });
  const seed = d.tensor(rand(y.size, 4), y.shape);
  const dx = await time(() => G.grad(y, [x], seed));
  const yw = G.conv.conv2d(x.detach(), wg, b, { stride: s, padding: p, activation: 'relu' });
  const dw = await time(() => G.grad(yw, [wg], seed));
  const row = { conv: name, batch, 'fwd ms': fmt(fwd), 'dx ms': fmt(dx), 'dw ms': fmt(dw) };
  if (profile) row.kernels = `fwd: ${kfmt(fwd)} | dx: ${kfmt(dx)} | dw: ${kfmt(dw)}`;
  rows.push(row);
  G.dispose(x, w, b, wg, y, seed, yw);
}
console.table(rows);
d.destroy();
