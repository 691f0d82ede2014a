// End-to-end A/B timing of tuning settings (not a test):
//   node bench/tune_ab.mjs '<json A>' '<json B>' [batch] [rounds]
// Loads the built library (bench/common.mjs), builds SqueezeNet 1.1 with random weights and alternates settings A and B
// round by round, so load drift on a shared machine hits both alike. A setting overrides keys of `convTuning`;
// keys "runtime.<field>" set the runtime's fields (e.g. {"runtime.idleWaits": false}). Per round and setting:
// one forward (logits read back) and one vanilla saliency (map read back). Prints min and median ms.
import { loadLibrary, randomStateDict } from './common.mjs';

const G = await loadLibrary(); // dist/index.js, rebuilt when older than the sources
const A = JSON.parse(process.argv[2] ?? '{}');
const B = JSON.parse(process.argv[3] ?? '{}');
const batch = Number(process.argv[4] ?? 1);
const rounds = Number(process.argv[5] ?? 15);
const base = structuredClone(G.convTuning);
let d;
let runtimeBase;
function apply(t) {
  for (const [k, v] of Object.entries(base)) G.convTuning[k] = typeof v === 'object' ? { ...v } : v;
  Object.assign(d.runtime, runtimeBase);
  for (const [k, v] of Object.entries(t)) {
    if (k.startsWith('runtime.')) d.runtime[k.slice(8)] = v;
    else if (typeof v === 'object') Object.assign(G.convTuning[k], v);
    else G.convTuning[k] = v;
  }
}
d = await G.Device.create();
runtimeBase = { idleWaits: d.runtime.idleWaits };
const model = G.SqueezeNet.fromStateDict(d, randomStateDict(G));
const xs = new Float32Array(batch * 3 * 224 * 224).map((_, i) => Math.sin(i * 0.37));
const x = d.tensor(xs, [batch, 3, 224, 224]);
const classes = Array.from({ length: batch }, (_, i) => (i * 37) % 1000);
const work = {
  forward: () => G.tidy(() => G.noGrad(() => model.forward(x).logits)),
  saliency: () => G.tidy(() => G.maxOverAxis(G.abs(G.inputGradient(model, x, classes)), 1)),
};
const med = (a) => { const s = [...a].sort((p, q) => p - q); return s[Math.floor(s.length / 2)]; };
const times = { A: { forward: [], saliency: [] }, B: { forward: [], saliency: [] } };
const cpu = { A: { forward: [], saliency: [] }, B: { forward: [], saliency: [] } };
for (let r = -2; r < rounds; r++) {
  for (const [name, t] of [['A', A], ['B', B]]) {
    apply(t);
    for (const [w, fn] of Object.entries(work)) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const out = fn();
      await out.toArray();
      out.dispose();
      const c = process.cpuUsage(c0);
      if (r >= 0) { times[name][w].push(performance.now() - t0); cpu[name][w].push((c.user + c.system) / 1000); }
    }
  }
}
console.log(`A = ${JSON.stringify(A)}  B = ${JSON.stringify(B)}  batch ${batch}, ${rounds} alternating rounds`);
for (const w of Object.keys(work)) {
  const a = times.A[w], b = times.B[w];
  const ca = cpu.A[w], cb = cpu.B[w];
  console.log(`${w.padEnd(9)} wall A min ${Math.min(...a).toFixed(1)} med ${med(a).toFixed(1)} | B min ${Math.min(...b).toFixed(1)} med ${med(b).toFixed(1)} | A/B med ${(med(a) / med(b)).toFixed(3)} min ${(Math.min(...a) / Math.min(...b)).toFixed(3)}`);
  console.log(`${''.padEnd(9)} cpu  A min ${Math.min(...ca).toFixed(1)} med ${med(ca).toFixed(1)} | B min ${Math.min(...cb).toFixed(1)} med ${med(cb).toFixed(1)} | A/B med ${(med(ca) / med(cb)).toFixed(3)}`);
}
process.exit(0);
