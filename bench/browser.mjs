// npm run bench -- browser [--runs 5] [--warmup 3] [--batches 1,5] [--engines gradsight,tfjs,jax,ort]
//                          [--jax-pool slices|window] [--tiles '<json>'] [--gc] [--one-page] [--headed] [--json]
//
// gradsight against the other WebGPU engines in headless Chromium on one adapter (SwiftShader in a machine
// without a GPU), each engine in its own page: TensorFlow.js 4.22 (webgpu backend), jax-js (@jax-js/jax,
// webgpu, jit) and ONNX Runtime Web (onnxruntime-web/webgpu, WebGPU execution provider; forward only). The page (bench/browser/
// page.ts, with gradsight's sources, all engines and bench/tfjs_squeezenet.mjs) is bundled with esbuild into
// node_modules/.cache/gradsight-bench/browser/ and served on http://127.0.0.1 (WebGPU needs a secure context)
// together with ../shared/weights and onnxruntime-web's wasm files.
//
// Work, the same for every engine: forward = all 1000 logits of N images, read back; saliency = vanilla
// saliency |∂ Σᵢ score[i, cᵢ] / ∂x| max over channels, read back, where the score of each image's class is
// computed with the one-class shortcut (the classifier conv for that class only: gradsight's
// model.classScores; the same formula written in tfjs and jax-js). ONNX Runtime has no gradients: forward only.
// Weights: ../shared/weights/squeezenet1_1.pth (gradsight, tfjs, jax-js) and squeezenet1_1.onnx (ORT). Before
// timing, every engine's logits are compared with gradsight's on one image (refused above 1e-3 relative), and
// the saliency maps at batch 1 (relative L2, reported).
// Timing: per workload and batch, `warmup` runs per engine, then `runs` rounds in which every engine runs once
// (order rotated per round); median and min per engine; the ratio is peer ms / gradsight ms. One page per
// engine (the default) gives each engine its own renderer process and JavaScript heap, as in an app that uses
// one of them: with --one-page the engines share the page's heap, so the garbage one engine leaves is
// collected during whichever runs next (its own collection, and V8's concurrent marking threads competing with
// the CPU adapter's threads: gradsight's saliency b1 206 vs 181 ms, jax-js 1992 vs 1942 ms). --gc (Chromium
// with --js-flags=--expose-gc) collects garbage before every timed run, untimed, for every engine alike.
import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { args, CACHE, fmtNum, intList, median, posInt, ROOT, SHARED, sourcesMtime, table, today, machineLine, adapterLine } from './common.mjs';

const HELP = "npm run bench -- browser [--runs 5] [--warmup 3] [--batches 1,5] [--engines gradsight,tfjs,jax,ort] [--jax-pool slices|window] [--tiles '<json>' | --tune ROUNDS] [--gc] [--one-page] [--headed] [--serve] [--json]";
const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
const ENGINES = ['gradsight', 'tfjs', 'jax', 'ort'];
const NAME = { gradsight: 'gradsight', tfjs: 'tfjs-webgpu', jax: 'jax-js', ort: 'ORT-web' };
const OUT = join(CACHE, 'browser');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json' };

/** Bundle bench/browser/page.ts (when missing or older than its inputs). */
async function bundle(log) {
  const outfile = join(OUT, 'page.js');
  const inputs = Math.max(sourcesMtime(), ...['browser/page.ts', 'browser/jax_squeezenet.ts', 'tfjs_squeezenet.mjs', 'browser.mjs'].map((p) => statSync(join(ROOT, 'bench', p)).mtimeMs));
  if (existsSync(outfile) && (process.env.GRADSIGHT_BENCH_NO_BUILD || statSync(outfile).mtimeMs > inputs)) return outfile;
  log('bundling the bench page (esbuild)');
  mkdirSync(OUT, { recursive: true });
  const esbuild = await import('esbuild');
  // bench/tfjs_squeezenet.mjs imports node:fs/path/url for its Node-only helpers: empty stand-ins in the page.
  const nodeStubs = {
    name: 'node-stubs',
    setup(b) {
      b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, namespace: 'node-stub' }));
      b.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({
        contents: 'const no = () => ""; export const existsSync = () => false, mkdirSync = no, statSync = no, join = no, dirname = no, fileURLToPath = no, pathToFileURL = no;',
        loader: 'js',
      }));
    },
  };
  await esbuild.build({
    entryPoints: [join(ROOT, 'bench', 'browser', 'page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    loader: { '.wgsl': 'text' },
    outfile,
    logLevel: 'error',
    plugins: [nodeStubs],
    external: ['esbuild', 'webgpu'], // dynamic imports of tfjs_squeezenet.mjs' Node-only helpers, never called here
  });
  return outfile;
}

function serve(pageJs) {
  const html = '<!doctype html><meta charset="utf-8"><title>gradsight browser bench</title><script type="module" src="/page.js"></script>';
  const roots = { '/ort/': join(ROOT, 'node_modules', 'onnxruntime-web', 'dist'), '/weights/': join(SHARED, 'weights') };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const sendFile = (p) => {
      res.writeHead(200, { 'content-type': TYPES[extname(p)] ?? 'application/octet-stream', 'content-length': statSync(p).size, 'cache-control': 'no-store' });
      createReadStream(p).pipe(res);
    };
    if (path === '/') {
      res.writeHead(200, { 'content-type': TYPES['.html'] });
      return res.end(html);
    }
    if (path === '/page.js') return sendFile(pageJs);
    for (const [pre, dir] of Object.entries(roots)) {
      if (!path.startsWith(pre)) continue;
      const p = resolve(dir, decodeURIComponent(path.slice(pre.length)));
      if (p.startsWith(resolve(dir) + sep) && existsSync(p) && statSync(p).isFile()) return sendFile(p);
    }
    res.writeHead(404).end();
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

/** Max |Δ| between two result arrays (Infinity when their lengths differ). */
function maxAbsDiff(a, b) {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length && m !== Infinity; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * The logits of every engine on one seeded image against gradsight's (and the peers': each engine computes its
 * own), and the saliency maps at batch 1 (relative L2), from each engine's page.
 */
async function agreement(pageOf, engines) {
  const out = async (e, w) => pageOf(e).page.evaluate(([e, w]) => window.B.output(e, w, 1), [e, w]);
  const logits = new Map();
  for (const e of engines) logits.set(e, await out(e, 'forward'));
  const ref = logits.get('gradsight');
  const agree = {};
  for (const [e, y] of logits) {
    if (e === 'gradsight') continue;
    const vsPeers = Object.fromEntries([...logits].filter(([k]) => k !== e && k !== 'gradsight').map(([k, z]) => [k, maxAbsDiff(y, z)]));
    agree[e] = { maxAbs: maxAbsDiff(ref, y), scale: Math.max(...ref.map(Math.abs)), vsPeers };
  }
  const salRef = await out('gradsight', 'saliency');
  const salAgree = {};
  for (const e of engines.filter((e) => e !== 'gradsight')) {
    const y = await out(e, 'saliency');
    if (!y) continue;
    let num = 0, den = 0;
    for (let i = 0; i < salRef.length; i++) {
      num += (salRef[i] - y[i]) ** 2;
      den += salRef[i] ** 2;
    }
    salAgree[e] = y.length === salRef.length ? Math.sqrt(num / den) : Infinity;
  }
  return { agree, salAgree };
}

/**
 * With one page per engine: `warmup` runs per engine, then `runs` rounds of one run per engine (order rotated
 * per round, as the page's bench() does within one page), each timed in its own page. {engine: ms[]}.
 */
async function alternatePages(pageOf, w, N, engines, runs, warmup, gc) {
  const one = (e, r, wu) => pageOf(e).page.evaluate(([w, N, e, r, wu, gc]) => window.B.bench(w, N, [e], r, wu, gc), [w, N, e, r, wu, gc]);
  const has = [];
  for (const e of engines) if (e in (await one(e, 0, warmup))) has.push(e);
  const times = Object.fromEntries(has.map((e) => [e, []]));
  for (let r = 0; r < runs; r++) {
    for (let j = 0; j < has.length; j++) {
      const e = has[(j + r) % has.length];
      times[e].push((await one(e, 1, 0))[e][0]);
    }
  }
  return times;
}

export async function run(argv) {
  const o = args('browser', argv, {
    runs: { type: 'string' }, warmup: { type: 'string' }, batches: { type: 'string' }, engines: { type: 'string' },
    'jax-pool': { type: 'string' }, tiles: { type: 'string' }, headed: { type: 'boolean' }, serve: { type: 'boolean' }, tune: { type: 'string' }, gc: { type: 'boolean' }, 'one-page': { type: 'boolean' },
  });
  if (o.help) return console.log(HELP);
  const runs = posInt('browser', 'runs', o.runs, 5);
  const warmup = posInt('browser', 'warmup', o.warmup, 3, 0);
  const batches = intList('browser', 'batches', o.batches, [1, 5]);
  const engines = o.engines ? o.engines.split(',').map((s) => s.trim()) : ENGINES;
  for (const e of engines) if (!ENGINES.includes(e)) throw new Error(`bench browser: unknown engine '${e}' (known: ${ENGINES.join(', ')})`);
  if (engines[0] !== 'gradsight') engines.unshift(...(engines.includes('gradsight') ? [] : ['gradsight']));
  const jaxPool = o['jax-pool'] ?? 'slices';
  if (!['slices', 'window'].includes(jaxPool)) throw new Error(`bench browser: --jax-pool expects slices or window; got '${jaxPool}'`);
  const tiles = o.tiles ? JSON.parse(o.tiles) : null;
  const log = (m) => process.stderr.write(`${m}\n`);
  for (const f of ['squeezenet1_1.pth', ...(engines.includes('ort') ? ['squeezenet1_1.onnx'] : [])]) {
    if (!existsSync(join(SHARED, 'weights', f))) throw new Error(`bench browser: ${join(SHARED, 'weights', f)} is missing (the engines must load the same weights)`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`bench browser: Chromium not found at ${CHROMIUM} (set E2E_CHROMIUM)`);
  const { chromium } = await import('playwright-core');

  const pageJs = await bundle(log);
  const server = await serve(pageJs);
  const url = `http://127.0.0.1:${server.address().port}/`;
  if (o.serve) {
    // The page alone, for another browser or a script (window.B: setup, output, bench, profile, tileAB, tune).
    console.log(`bench page: ${url}  (Ctrl-C to stop)`);
    await new Promise((ok) => process.once('SIGINT', ok));
    server.close();
    return;
  }
  const userData = mkdtempSync(join(tmpdir(), 'gradsight-bench-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userData, {
      executablePath: CHROMIUM,
      headless: !o.headed,
      args: [...(o.gc ? ['--js-flags=--expose-gc'] : []), '--enable-unsafe-webgpu', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // One page per engine (or one for all with --one-page); each page's console and errors kept.
    const groups = o['one-page'] ? [engines] : engines.map((e) => [e]);
    const pages = [];
    for (const [i, engs] of groups.entries()) {
      const page = i === 0 ? (context.pages()[0] ?? (await context.newPage())) : await context.newPage();
      const p = { page, engines: engs, consoleLines: [], errors: [] };
      page.on('console', (m) => {
        const t = m.text();
        p.consoleLines.push(t);
        if (t.startsWith('[bench]')) log(`  ${t.slice(8)}`);
      });
      page.on('pageerror', (e) => p.errors.push(e.message));
      page.setDefaultTimeout(0);
      await page.goto(url);
      await page.waitForFunction(() => window.B?.ready, null, { timeout: 60000 }).catch(() => {
        throw new Error(`the bench page did not load: ${p.errors.join('; ') || p.consoleLines.slice(-5).join('; ')}`);
      });
      p.info = await page.evaluate((cfg) => window.B.setup(cfg), { engines: engs, jaxPool, tiles });
      pages.push(p);
    }
    const pageOf = (e) => pages.find((p) => p.engines.includes(e));
    const page = pageOf('gradsight').page;
    const info = Object.assign({}, ...pages.map((p) => p.info), pageOf('gradsight').info);
    const consoleLines = pages.flatMap((p) => p.consoleLines);
    const errors = () => pages.flatMap((p) => p.errors);
    if (process.env.BENCH_BROWSER_LOG) (await import('node:fs')).writeFileSync(process.env.BENCH_BROWSER_LOG, consoleLines.join('\n'));
    // ORT: every node must run on the WebGPU EP (its verbose session log names the nodes placed elsewhere).
    let ortPlacement = null;
    if (engines.includes('ort')) {
      const line = consoleLines.find((l) => /All nodes placed on|Node\(s\) placed on|not assigned to the preferred/.test(l)) ?? '';
      const m = /All nodes placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
      ortPlacement = { allOnWebGPU: !!m && m[1] === 'WebGpuExecutionProvider', provider: m?.[1] ?? null, nodes: m ? Number(m[2]) : null, line: line.replace(/^.*\] +/, '') };
      log(`  ORT node placement: ${ortPlacement.line || 'no placement line in the session log'}`);
      if (!ortPlacement.allOnWebGPU) log('  note: not every ORT node runs on the WebGPU EP');
    }
    let tuning = null;
    if (o.tune) {
      // The conv tiles tuned for this adapter in the page first (autotuneConv, as the Bench view's Tune button).
      const rounds = posInt('browser', 'tune', o.tune, 2);
      log(`  tuning gradsight's conv tiles in the page (${rounds} rounds per family)`);
      tuning = await page.evaluate((r) => window.B.tune(r), rounds);
      info.tiles = tuning.tiles;
      log(`  tuned in ${(tuning.ms / 1000).toFixed(0)} s`);
    }
    log(`  adapter: ${adapterLine(info.adapter)}; gradsight tiles ${JSON.stringify(info.tiles)}; idle waits ${info.idleWaits}`);

    const { agree, salAgree } = await agreement(pageOf, engines);
    for (const [e, a] of Object.entries(agree)) {
      log(`  ${NAME[e]} vs gradsight logits on one image: max |Δ| ${a.maxAbs.toExponential(2)} (largest |logit| ${a.scale.toFixed(2)}); vs ${Object.entries(a.vsPeers).map(([k, v]) => `${NAME[k]} ${v.toExponential(2)}`).join(', ')}`);
      if (!(a.maxAbs <= 1e-3 * Math.max(1, a.scale))) throw new Error(`bench browser: ${NAME[e]}'s logits differ from gradsight's by ${a.maxAbs} (largest |logit| ${a.scale}): the comparison would be meaningless`);
    }
    for (const [e, r] of Object.entries(salAgree)) log(`  ${NAME[e]} vs gradsight saliency map (b1): relative L2 ${r.toExponential(2)}`);

    const rows = [];
    for (const N of batches) {
      for (const w of ['forward', 'saliency']) {
        log(`  ${w} b${N}: ${warmup} warm-ups each, then ${runs} alternating rounds`);
        const t = o['one-page']
          ? await page.evaluate(([w, N, e, r, wu, gc]) => window.B.bench(w, N, e, r, wu, gc), [w, N, engines, runs, warmup, !!o.gc])
          : await alternatePages(pageOf, w, N, engines, runs, warmup, !!o.gc);
        const row = { workload: `${w}_b${N}` };
        for (const [e, v] of Object.entries(t)) row[e] = { median_ms: median(v), min_ms: Math.min(...v), times: v.map((x) => +x.toFixed(1)) };
        rows.push(row);
        log(`    ${Object.entries(row).filter(([k]) => k !== 'workload').map(([e, v]) => `${NAME[e]} ${fmtNum(v.median_ms)} ms`).join(', ')}`);
      }
    }
    if (errors().length) throw new Error(`bench browser: the page reported errors: ${errors().join('; ')}`);
    const peers = engines.filter((e) => e !== 'gradsight');
    for (const r of rows) {
      for (const p of peers) if (r[p]) r[`${p}_over_gradsight`] = r[p].median_ms / r.gradsight.median_ms;
    }
    const ua = await page.evaluate(() => navigator.userAgent);
    const result = {
      date: today(), browser: ua.match(/(Headless)?Chrom(e|ium)\/[\d.]+/)?.[0] ?? ua, adapter: info.adapter, tiles: info.tiles, tilesFrom: tiles ? '--tiles' : tuning ? `tuned in the page (--tune ${o.tune})` : info.tilesFrom === 'preset' ? 'the page\'s preset for this adapter (src/web/tuning.ts)' : info.tilesFrom, tuning: tuning && tuning.results.map((r) => ({ family: r.family, chosen: r.chosen, candidates: r.candidates })), idleWaits: info.idleWaits,
      versions: { tfjs: info.tfjs, jax: '@jax-js/jax', jaxPool, ort: info.ort }, pages: o['one-page'] ? 'one for all engines' : 'one per engine', runs, warmup, gcBeforeRuns: !!o.gc, logitsAgreement: agree, saliencyAgreement: salAgree, ortPlacement,
      work: { forward: 'all 1000 logits, read back', saliency: 'one-class scores (classifier conv for the selected class only) in every engine; |grad| max over channels, read back' },
      results: rows,
    };
    if (!o.json) {
      console.log(`\ngradsight vs ${peers.map((p) => NAME[p]).join(', ')} in headless Chromium (${result.browser}, ${result.pages === 'one per engine' ? 'one page per engine' : 'one page for all engines'}) on ${adapterLine(info.adapter)}; ${today()}`);
      console.log(`median ms of ${runs} alternating rounds after ${warmup} warm-ups${o.gc ? ', garbage collected before each timed run' : ''}; saliency with one-class scores everywhere; gradsight tiles: ${result.tilesFrom}; ${machineLine()}`);
      table(
        ['workload', 'gradsight ms', ...peers.flatMap((p) => [`${NAME[p]} ms`, `${NAME[p]}/ours`])],
        rows.map((r) => [r.workload, r.gradsight.median_ms, ...peers.flatMap((p) => (r[p] ? [r[p].median_ms, r[`${p}_over_gradsight`]] : ['—', '—']))]),
      );
    }
    console.log(JSON.stringify(result));
  } finally {
    await context?.close().catch(() => {});
    server.close();
    server.closeAllConnections?.();
    rmSync(userData, { recursive: true, force: true });
  }
}
