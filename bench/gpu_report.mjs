// node bench/gpu_report.mjs RAW OUTDIR — gathers the step outputs of bench/gpu.sh (RAW/<step>.out, .rc) into
// OUTDIR/gpu.json and OUTDIR/gpu-summary.md (also printed): the numbers issue 11 sets targets for on an NVIDIA
// H200 (forward b1 <= 1.5 ms, saliency b1 <= 3 ms, tfjs-webgpu / ours >= 5x in the same run, host cost per
// saliency b1 < 1 ms), the tuned tiles, GPU time per kernel and per conv shape. Safe to run on partial results.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [raw, outDir] = process.argv.slice(2);
if (!raw || !outDir) {
  console.error('usage: node bench/gpu_report.mjs RAW OUTDIR');
  process.exit(2);
}

const steps = {};
for (const f of readdirSync(raw).filter((f) => f.endsWith('.rc')).sort()) {
  const name = f.slice(0, -3);
  const [rc, seconds] = readFileSync(join(raw, f), 'utf8').trim().split(/\s+/);
  const outPath = join(raw, `${name}.out`);
  const out = existsSync(outPath) ? readFileSync(outPath, 'utf8') : '';
  const last = out.trim().split('\n').pop() ?? '';
  let json = null;
  if (last.startsWith('{')) {
    try { json = JSON.parse(last); } catch { /* not JSON */ }
  }
  steps[name] = { rc: rc === 'skipped' ? 'skipped' : Number(rc), seconds: seconds ? Number(seconds) : null, json, ...(json ? {} : { text: out.slice(-4000) }) };
}

const fmt = (v, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(d)) : '—');
const verdict = (ok) => (ok === undefined ? '' : ok ? 'met' : 'NOT met');
const lines = [];
const date = new Date().toISOString();
const ad = steps.bench_b1?.json?.adapter ?? steps.bench_defaults_b1?.json?.adapter;
lines.push(`# gradsight on a GPU — bench/gpu.sh, ${date}`, '');
if (ad) lines.push(`Adapter: ${ad.vendor} ${ad.architecture} ${ad.description ?? ''} (${ad.mode}${ad.fallback ? ', fallback' : ''}, timestamp-query ${ad.timestampQuery})`, '');
if (steps.machine?.text) lines.push('```', steps.machine.text.trim(), '```', '');
lines.push('| step | rc | seconds |', '|---|---|---:|');
for (const [k, s] of Object.entries(steps)) lines.push(`| ${k} | ${s.rc} | ${s.seconds ?? ''} |`);
lines.push('');

// Targets.
const b1 = steps.bench_b1?.json?.results ?? steps.bench_defaults_b1?.json?.results;
const peers = steps.peers?.json?.results ?? [];
const peer = (w) => peers.find((r) => r.workload === w);
const targets = [];
if (b1) {
  const f = b1.forward_b1, s = b1.saliency_b1;
  if (f) targets.push(['forward b1 median ms (≤ 1.5)', fmt(f.median_ms), verdict(f.median_ms <= 1.5)]);
  if (s) targets.push(['saliency b1 median ms (≤ 3)', fmt(s.median_ms), verdict(s.median_ms <= 3)]);
  if (s) targets.push(['host ms per saliency b1 (< 1)', fmt(s.host_ms, 3), verdict(s.host_ms < 1)]);
}
for (const w of ['forward_b1', 'saliency_b1', 'fooling_iter_b1', 'classviz_step_b1', 'forward_b5', 'saliency_b5']) {
  const r = peer(w);
  if (r) targets.push([`tfjs-webgpu / ours, ${w} (≥ 5)`, `${fmt(r.tfjs_over_ours)} (${fmt(r.tfjs_ms)} / ${fmt(r.ours_ms)} ms)`, verdict(r.tfjs_over_ours >= 5)]);
}
if (targets.length) {
  lines.push('## Targets (NVIDIA H200, issue 11)', '', '| what | value | target |', '|---|---:|---|');
  for (const t of targets) lines.push(`| ${t.join(' | ')} |`);
  lines.push('');
}

// gradsight bench tables.
for (const name of ['bench_defaults_b1', 'bench_b1', 'bench_b5']) {
  const j = steps[name]?.json;
  if (!j) continue;
  lines.push(`## ${name} (tiles: ${j.config?.tiles_from ?? '?'})`, '');
  lines.push('| workload | median ms | min ms | host ms (record + submit) | record ms | dispatches | GPU ms | GPU conv ms | GFLOP/s |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [k, r] of Object.entries(j.results)) {
    lines.push(`| ${k} | ${fmt(r.median_ms)} | ${fmt(r.min_ms)} | ${fmt(r.host_ms, 3)} | ${fmt(r.record_ms, 3)} | ${r.dispatches} | ${fmt(r.gpu_ms)} | ${fmt(r.gpu_conv_ms)} | ${fmt(r.gflop_per_s, 1)} |`);
  }
  const sal = j.results[Object.keys(j.results).find((k) => k.startsWith('saliency')) ?? ''];
  if (sal?.gpu_kernels_ms) {
    lines.push('', `GPU ms per kernel, one ${Object.keys(j.results).find((k) => k.startsWith('saliency'))}: ` +
      Object.entries(sal.gpu_kernels_ms).slice(0, 14).map(([n, v]) => `${n} ${fmt(v, 3)}`).join(', '));
  }
  if (j.config?.tiles) lines.push('', `tiles: \`${JSON.stringify(j.config.tiles)}\``);
  lines.push('');
}

// Correctness on this adapter.
const chk = steps.check?.json;
if (chk) {
  const worst = {};
  for (const c of chk.cases) {
    const w = worst[c.variant] ?? (worst[c.variant] = { err: 0, fails: [] });
    w.err = Math.max(w.err, c.y, c.dx, c.dw, c.db);
    if (!c.ok) w.fails.push(c.case);
  }
  lines.push(`## Correctness (bench/gpu_check.mjs): ${chk.ok ? 'all within 1e-4' : 'FAILURES'}`, '');
  for (const [v, w] of Object.entries(worst)) lines.push(`- ${v}: worst relative error ${w.err.toExponential(2)} over ${chk.cases.length / Object.keys(worst).length} conv cases${w.fails.length ? `; FAILED: ${w.fails.join(', ')}` : ''}`);
  for (const [v, m] of Object.entries(chk.model ?? {})) lines.push(`- SqueezeNet b2 224×224, ${v} vs register tiles: logits ${m.logits.toExponential(2)}, input gradient ${m.inputGradient.toExponential(2)} (max |logit| ${fmt(m.maxLogit)})`);
  lines.push('');
}

// Tuner.
const tune = steps.tune?.json;
if (tune?.results) {
  lines.push('## gradsight tune', '', '| family | before | chosen | candidates (median ms, sum of the family\'s shapes at b1) |', '|---|---|---|---|');
  const t = (x) => (x.gemm ? `gemm ${x.tc}x${x.tp}` : `${x.tc}x${x.tp}/${x.wg}`);
  for (const r of tune.results) {
    lines.push(`| ${r.family} | ${t(r.before)} | ${t(r.chosen)} | ${r.candidates.map((c) => `${t(c.tile)} ${fmt(c.medianMs, 3)}`).join(', ')} |`);
  }
  lines.push('');
}

// Peers.
if (peers.length) {
  const pj = steps.peers.json;
  lines.push(`## peers (tfjs ${pj.tfjs?.version}, max |Δlogit| ${pj.tfjs?.maxAbsLogitDiff}; ${pj.runs} runs, weights ${pj.weights})`, '');
  lines.push('| workload | ours ms | tfjs-webgpu ms | tfjs/ours | tfjs/ours (min) |', '|---|---:|---:|---:|---:|');
  for (const r of peers) lines.push(`| ${r.workload} | ${fmt(r.ours_ms)} | ${fmt(r.tfjs_ms)} | ${fmt(r.tfjs_over_ours)} | ${fmt(r.tfjs_over_ours_min)} |`);
  lines.push('');
}

// A/B: stride-1 input gradients through the gemm forward (A) or the gemm input-gradient kernel (B).
if (steps.ab_input_grad?.text) lines.push('## input gradients: gemm forward on transposed weights (A) vs gemm_backward_input (B)', '', '```', steps.ab_input_grad.text.trim(), '```', '');

// Kernels: per conv shape and pass.
const kr = steps.kernels?.json;
if (kr?.results?.length) {
  lines.push(`## kernels (${kr.method}, ${kr.runs} runs)`, '', '| batch | op | pass | ms | GFLOP/s | GB/s | kernels |', '|---|---|---|---:|---:|---:|---|');
  for (const r of kr.results) lines.push(`| ${r.batch} | ${r.op} | ${r.pass} | ${fmt(r.ms, 4)} | ${fmt(r.gflops, 1)} | ${fmt(r.gbs, 1)} | ${r.kernels ?? ''} |`);
  lines.push('');
}

const md = lines.join('\n');
writeFileSync(join(outDir, 'gpu-summary.md'), `${md}\n`);
writeFileSync(join(outDir, 'gpu.json'), `${JSON.stringify({ date, steps }, null, 1)}\n`);
console.log(md);
