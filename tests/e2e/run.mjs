#!/usr/bin/env node
// End-to-end tests of the page (npm run test:e2e): builds if needed, starts `gradsight serve --port 0`, drives
// headless Chromium (playwright-core, WebGPU on SwiftShader) through every view, and compares the page's
// numbers with the Node CLI's (Dawn on lavapipe). Screenshots go to test-results/e2e/. Prints
// `N passed, M failed` and exits non-zero on failure. Without ../shared (weights and sample images) the
// model-dependent checks are skipped with a loud message; the rest still runs.
//
// Environment: E2E_IMAGE (sample file, default 00_958.png), E2E_CHROMIUM (default /usr/bin/chromium),
// E2E_HEADED=1 (show the browser), E2E_ONLY=name,name (run only these checks; server and adapter always run).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, 'test-results', 'e2e');
const SHARED = resolve(ROOT, '..', 'shared');
const SAMPLES = join(SHARED, 'images', 'imagenet_val_25');
const IMAGE = process.env.E2E_IMAGE ?? '00_958.png';
const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
const ONLY = process.env.E2E_ONLY ? new Set(process.env.E2E_ONLY.split(',')) : null;
const T0 = Date.now();

const log = (...a) => console.log(...a);
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

// ---------------- checks bookkeeping ----------------

const results = [];
async function check(name, fn, { needsModel = false } = {}) {
  if (ONLY && !ONLY.has(name) && !['server', 'adapter'].includes(name)) return;
  if (needsModel && !HAS_SHARED) {
    results.push({ name, status: 'skipped', ms: 0, detail: '../shared is absent' });
    log(`  SKIP  ${name}  (needs ../shared weights and sample images)`);
    return;
  }
  const t = Date.now();
  try {
    const detail = await fn();
    results.push({ name, status: 'passed', ms: Date.now() - t, detail: detail ?? '' });
    log(`  PASS  ${name}  ${secs(Date.now() - t)}${detail ? `  ${detail}` : ''}`);
  } catch (e) {
    results.push({ name, status: 'failed', ms: Date.now() - t, detail: e.message });
    log(`  FAIL  ${name}  ${secs(Date.now() - t)}\n        ${String(e.message).split('\n').join('\n        ')}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// ---------------- build ----------------

function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function buildIfNeeded() {
  const outputs = ['dist/cli.js', 'dist/index.js', 'dist/web/app.js', 'dist/web/index.html', 'dist/web/style.css'].map((p) => join(ROOT, p));
  const built = outputs.every(existsSync) ? Math.min(...outputs.map((p) => statSync(p).mtimeMs)) : 0;
  const sources = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'shaders')), newest(join(ROOT, 'weights')), statSync(join(ROOT, 'build.mjs')).mtimeMs);
  if (built >= sources) {
    log('build: dist/ is up to date');
    return;
  }
  log('build: node build.mjs');
  const r = spawnSync(process.execPath, ['build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    log('build failed: cannot run the end-to-end tests');
    log('0 passed, 1 failed');
    process.exit(1);
  }
}

// ---------------- Node reference ----------------

function readNpyF32(path) {
  const b = readFileSync(path);
  assert(b.subarray(0, 6).toString('latin1') === '\x93NUMPY', `${path}: not a .npy file`);
  const major = b[6];
  const hl = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + hl;
  const header = b.subarray(major === 1 ? 10 : 12, start).toString('latin1');
  assert(/'descr':\s*'<f4'/.test(header), `${path}: expected float32, header ${header}`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const data = new Float32Array(b.buffer.slice(b.byteOffset + start, b.byteOffset + b.length));
  return { shape, data };
}

function cli(args) {
  const t = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`gradsight ${args.join(' ')} exited with ${r.status}:\n${(r.stderr || '').trim()}`);
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  return { json: line ? JSON.parse(line) : null, ms: Date.now() - t };
}

// ---------------- server ----------------

function startServer() {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'serve', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => fail(new Error(`gradsight serve printed no URL in 20 s:\n${out}`)), 20000);
    const onData = (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        ok({ child, url: m[0], port: Number(m[1]), banner: out });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`gradsight serve exited with ${code}:\n${out}`));
    });
  });
}

async function stopServer(child) {
  if (child.exitCode !== null) return child.exitCode;
  const done = new Promise((ok) => child.once('exit', (code, sig) => ok(code ?? sig)));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  const code = await done;
  clearTimeout(t);
  return code;
}

// ---------------- main ----------------

const HAS_SHARED = existsSync(join(SHARED, 'weights', 'squeezenet1_1.pth')) && existsSync(join(SAMPLES, IMAGE));
log(`gradsight end-to-end tests (${new Date().toISOString()})`);
if (!HAS_SHARED) {
  log('');
  log('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
  log(`!!  ../shared (${SHARED}) is absent or lacks weights/squeezenet1_1.pth and images/imagenet_val_25/${IMAGE}:`);
  log('!!  SKIPPING every check that needs the model (predict, saliency, fooling, classviz, trace, timing).');
  log('!!  Only the server, the adapter and the no-WebGPU explanation are tested.');
  log('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
  log('');
}

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  log(`cannot load playwright-core (${e.message}): run npm install`);
  log('0 passed, 1 failed');
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  log(`Chromium not found at ${CHROMIUM} (set E2E_CHROMIUM): cannot run the browser tests`);
  log('0 passed, 1 failed');
  process.exit(1);
}

buildIfNeeded();
mkdirSync(OUT, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'gradsight-e2e-'));

// Node reference numbers first (the CLI on lavapipe), so they do not compete with the browser for the CPU.
const ref = {};
if (HAS_SHARED) {
  const png = join(SAMPLES, IMAGE);
  const labels = JSON.parse(readFileSync(join(SAMPLES, 'labels.json'), 'utf8'));
  ref.label = labels.find((l) => l.file === IMAGE)?.label ?? null;
  try {
    const p = cli(['predict', '--image', png, '--json', '--raw', join(tmp, 'logits.npy')]);
    ref.predict = p.json.results[0];
    ref.logits = readNpyF32(join(tmp, 'logits.npy')).data;
    ref.predictMs = p.ms;
    ref.salClass = ref.label ?? ref.predict.top[0].class;
    const s = cli(['saliency', '--image', png, '--class', String(ref.salClass), '--raw', join(tmp, 'sal.npy'), '--json']);
    const sal = readNpyF32(join(tmp, 'sal.npy'));
    ref.saliency = sal.data;
    ref.saliencyShape = sal.shape;
    ref.saliencyMs = s.ms;
    // Fooling target: the second-ranked class (a small, quick push on a software GPU).
    ref.foolTarget = ref.predict.top[1].class;
    log(`reference (node dist/cli.js, ${p.json.adapter?.architecture ?? 'adapter'}): ${IMAGE} top-1 ${ref.predict.top[0].class} ${ref.predict.top[0].name} (${secs(p.ms)}), saliency for class ${ref.salClass} (${secs(s.ms)})`);
  } catch (e) {
    ref.error = e.message;
    log(`reference: the Node CLI failed: ${e.message}`);
  }
}

let server = null;
let context = null;
const pageErrors = [];
try {
  await check('server', async () => {
    server = await startServer();
    const base = server.url;
    const get = async (p) => {
      const r = await fetch(new URL(p, base));
      return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
    };
    const index = await get('/');
    assert(index.status === 200 && index.body.toString().includes('app.js'), `GET / → ${index.status}`);
    const app = await get('/app.js');
    assert(app.status === 200 && /javascript/.test(app.headers.get('content-type')), `GET /app.js → ${app.status} ${app.headers.get('content-type')}`);
    const classes = JSON.parse((await get('/classes.json')).body.toString());
    assert(Array.isArray(classes) && classes.length === 1000, `/classes.json has ${classes.length} names`);
    const idx = JSON.parse((await get('/samples/index.json')).body.toString());
    assert((await get('/../package.json')).status === 404 && (await get('/samples/..%2F..%2FREADME.md')).status === 404, 'path traversal is not refused');
    const info = JSON.parse((await get('/info.json')).body.toString());
    if (HAS_SHARED) {
      assert(idx.images.length === 25 && idx.images.some((i) => i.file === IMAGE && Number.isInteger(i.label)), `/samples/index.json lists ${idx.images.length} images`);
      const w = await get('/weights');
      assert(w.status === 200 && Number(w.headers.get('content-length')) === w.body.length && w.body.length > 4e6, `/weights → ${w.status}, ${w.body.length} bytes`);
      assert(info.weights && info.weights.size === w.body.length, `/info.json weights ${JSON.stringify(info.weights)}`);
    }
    return `${base} (${idx.images.length} samples, weights ${info.weights ? info.weights.name : 'none'})`;
  });
  if (!server) throw new Error('no server: nothing else can run');

  const userData = join(tmp, 'chromium-profile');
  mkdirSync(userData);
  context = await chromium.launchPersistentContext(userData, {
    executablePath: CHROMIUM,
    headless: process.env.E2E_HEADED !== '1',
    viewport: { width: 1400, height: 900 },
    args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  const shot = (name, fullPage = true) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage });
  const hookOf = (expr) => page.evaluate(expr);
  const waitHook = (fn, arg, timeout) => page.waitForFunction(fn, arg, { timeout, polling: 250 });
  /** Run `start` (a click) and wait until gradsight.last[key] is replaced and the page is idle; a new error on the page fails at once. */
  const job = async (key, start, timeout) => {
    await page.evaluate((k) => {
      window.__prev = window.gradsight.last[k] ?? null;
      window.__errs = window.gradsight.errors.length;
    }, key);
    await start();
    await waitHook((k) => (window.gradsight.last[k] && window.gradsight.last[k] !== window.__prev && !window.gradsight.state.busy) || window.gradsight.errors.length > window.__errs, key, timeout);
    const r = await page.evaluate((k) => ({ value: window.gradsight.last[k], fresh: window.gradsight.last[k] !== window.__prev, errors: window.gradsight.errors.slice(window.__errs) }), key);
    if (r.errors.length) throw new Error(`the page reported: ${r.errors.join('; ')}`);
    return r.value;
  };

  await page.goto(server.url);

  await check('adapter', async () => {
    await waitHook(() => window.gradsight && window.gradsight.state.phase !== 'starting', null, 60000);
    const s = await hookOf(() => window.gradsight.state);
    assert(s.phase === 'ready', `page phase is '${s.phase}'${s.noWebGpuReason ? `: ${s.noWebGpuReason}` : ''}`);
    assert(s.adapter && s.adapter.vendor, 'no adapter report');
    const pill = await page.textContent('#adapter-pill');
    assert(pill.includes(s.adapter.architecture) && pill.includes(s.adapter.mode), `adapter pill says '${pill}'`);
    if (!HAS_SHARED) {
      // No weights on the server: the page must say how to load some.
      await waitHook(() => window.gradsight.state.weights !== 'loading', null, 60000);
      const status = await page.textContent('#weights-status');
      assert(/Load a \.pth/.test(status), `weights status: '${status}'`);
      await shot('no-weights');
    }
    return `${s.adapter.vendor} / ${s.adapter.architecture} (${s.adapter.mode}${s.adapter.fallback ? ', fallback' : ''}); timestamp-query ${s.adapter.features.includes('timestamp-query') ? 'yes' : 'no'}`;
  });

  await check('predict', async () => {
    await waitHook(() => ['ready', 'error', 'none'].includes(window.gradsight.state.weights) && !window.gradsight.state.busy, null, 180000);
    const w = await hookOf(() => window.gradsight.state);
    assert(w.weights === 'ready', `weights ${w.weights}: ${w.weightsError}`);
    // The page picks the first sample and predicts it on its own: let that finish before choosing ours.
    await waitHook(() => window.gradsight.last.predict && !window.gradsight.state.busy, null, 180000);
    assert(!ref.error, `no Node reference: ${ref.error}`);
    const p = await job('predict', () => page.click(`#gallery button[data-file="${IMAGE}"]`), 180000);
    assert(p.image === IMAGE, `predicted ${p.image}, expected ${IMAGE}`);
    assert(p.logits.length === ref.logits.length, `${p.logits.length} logits, Node has ${ref.logits.length}`);
    let maxAbs = 0, maxDiff = 0;
    for (let i = 0; i < p.logits.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(ref.logits[i]));
      maxDiff = Math.max(maxDiff, Math.abs(p.logits[i] - ref.logits[i]));
    }
    const rel = maxDiff / maxAbs;
    assert(p.top5[0].class === ref.predict.top[0].class, `page top-1 ${p.top5[0].class}, Node ${ref.predict.top[0].class}`);
    assert(rel < 1e-3, `logits differ from Node's by ${rel.toExponential(2)} of the largest logit (limit 1e-3)`);
    const shown = await page.textContent('#top5');
    assert(shown.includes(ref.predict.top[0].name), `the top-5 list does not show '${ref.predict.top[0].name}'`);
    await shot('predict');
    return `top-1 ${p.top5[0].class} ${p.top5[0].name}; max |Δlogit| ${rel.toExponential(2)} of max |logit|; ${p.ms.toFixed(0)} ms in the page`;
  }, { needsModel: true });

  await check('saliency', async () => {
    assert(!ref.error, `no Node reference: ${ref.error}`);
    await page.click('.tabs button[data-view="saliency"]');
    await page.click('#sal-methods button[data-method="vanilla"]');
    const cls = await page.inputValue('#sal-class input');
    assert(cls.startsWith(`${ref.salClass} `), `the class picker shows '${cls}', expected class ${ref.salClass}`);
    const s = await job('saliency', () => page.click('#sal-run'), 300000);
    assert(s.method === 'vanilla' && s.class === ref.salClass, `computed ${s.method} for class ${s.class}`);
    assert(s.shape.join() === ref.saliencyShape.join(), `shape [${s.shape}] vs Node [${ref.saliencyShape}]`);
    let num = 0, den = 0;
    for (let i = 0; i < s.maps.length; i++) {
      num += (s.maps[i] - ref.saliency[i]) ** 2;
      den += ref.saliency[i] ** 2;
    }
    const rel = Math.sqrt(num / den);
    assert(rel < 1e-3, `saliency differs from Node's by ${rel.toExponential(2)} relative L2 (limit 1e-3)`);
    const heat = await page.evaluate(() => window.gradsight.canvasStats('sal-heat'));
    assert(heat.opaque > 1000 && heat.std > 10, `the heat map looks blank (${JSON.stringify(heat)})`);
    // The opacity slider drives the overlay.
    await page.fill('#sal-opacity', '35');
    await page.dispatchEvent('#sal-opacity', 'input');
    const op = await page.evaluate(() => getComputedStyle(document.getElementById('sal-heat')).opacity);
    assert(Math.abs(Number(op) - 0.35) < 1e-6, `opacity slider → heat-map opacity ${op}`);
    await page.fill('#sal-opacity', '70');
    await page.dispatchEvent('#sal-opacity', 'input');
    await shot('saliency');
    return `relative L2 vs Node ${rel.toExponential(2)}; heat map std ${heat.std.toFixed(1)}; ${s.ms.toFixed(0)} ms in the page`;
  }, { needsModel: true });

  await check('saliency-methods', async () => {
    const out = [];
    for (const m of ['smoothgrad', 'integrated-gradients', 'gradcam']) {
      await page.click(`#sal-methods button[data-method="${m}"]`);
      if (m !== 'gradcam') await page.fill('#sal-samples', '2');
      let s;
      try {
        s = await job('saliency', () => page.click('#sal-run'), 300000);
      } catch (e) {
        throw new Error(`${m}: ${e.message}`);
      }
      assert(s.method === m, `ran ${s.method}, expected ${m}`);
      let mx = 0;
      for (const v of s.maps) {
        assert(Number.isFinite(v) && v >= 0, `${m}: map value ${v}`);
        mx = Math.max(mx, v);
      }
      assert(mx > 0, `${m}: the map is all zeros`);
      const heat = await page.evaluate(() => window.gradsight.canvasStats('sal-heat'));
      assert(heat.std > 5, `${m}: the heat map looks blank`);
      out.push(`${m} ${s.ms.toFixed(0)} ms${s.samples ? ` (${s.samples} ${m === 'smoothgrad' ? 'samples' : 'steps'})` : ''}`);
    }
    const thumbs = await page.locator('#sal-thumbs figure').count();
    assert(thumbs === 4, `${thumbs} saliency thumbnails, expected 4`);
    await shot('saliency-methods');
    return out.join('; ');
  }, { needsModel: true });

  await check('fooling', async () => {
    assert(!ref.error, `no Node reference: ${ref.error}`);
    await page.click('.tabs button[data-view="fooling"]');
    await page.click('#fool-target input');
    await page.fill('#fool-target input', String(ref.foolTarget));
    await page.keyboard.press('Enter');
    const shown = await page.inputValue('#fool-target input');
    assert(shown.startsWith(`${ref.foolTarget} `), `the target picker shows '${shown}'`);
    await page.fill('#fool-max', '30');
    let live = '';
    const f = await job('fooling', async () => {
      await page.click('#fool-run');
      await waitHook(() => window.gradsight.live.foolingIteration >= 1 || !window.gradsight.state.busy, null, 300000);
      live = await page.textContent('#fool-iter');
    }, 600000);
    assert(f.success && f.predicted === ref.foolTarget, `not fooled: predicted ${f.predicted}, target ${ref.foolTarget}, p ${f.targetProb}, ${f.iterations} iterations`);
    assert(f.iterations >= 1 && f.probs.length === f.iterations + 1, `${f.iterations} iterations, ${f.probs.length} probabilities`);
    assert(/^\d+$/.test(live.trim()), `live iteration shows '${live}'`);
    assert(f.linf255 > 0, 'the fooled image is unchanged');
    const diff = await page.evaluate(() => window.gradsight.canvasStats('fool-diff'));
    assert(diff.std > 1, 'the difference image is blank');
    await shot('fooling');
    return `${ref.predict.top[0].class} → ${f.target} in ${f.iterations} iteration(s), p(target) ${f.targetProb.toFixed(3)}, L∞ ${f.linf255.toFixed(2)}/255; ${f.msPerIteration?.toFixed(0)} ms/iteration`;
  }, { needsModel: true });

  await check('classviz', async () => {
    await page.click('.tabs button[data-view="classviz"]');
    await page.fill('#cv-iterations', '3');
    const before = await page.evaluate(() => window.gradsight.canvasStats('cv-canvas'));
    let first = null;
    const c = await job('classviz', async () => {
      await page.click('#cv-run');
      await waitHook(() => window.gradsight.live.classvizIteration >= 1 || !window.gradsight.state.busy, null, 300000);
      first = await page.evaluate(() => window.gradsight.canvasStats('cv-canvas'));
    }, 600000);
    const after = await page.evaluate(() => window.gradsight.canvasStats('cv-canvas'));
    assert(c.iterations === 3 && !c.stopped && c.frames === 3, `ran ${c.iterations} iterations, ${c.frames} frames`);
    assert(first.hash !== before.hash && after.hash !== first.hash, 'the canvas did not change while running');
    assert(after.std > 5, 'the class visualization canvas is blank');
    assert(await page.isEnabled('#cv-download'), 'Download PNG stays disabled');
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), page.click('#cv-download')]);
    const file = join(OUT, dl.suggestedFilename());
    await dl.saveAs(file);
    const png = readFileSync(file);
    assert(png.subarray(1, 4).toString() === 'PNG' && png.length > 1000, 'the download is not a PNG');
    await shot('classviz');
    return `${c.iterations} iterations of class ${c.target}, score ${c.score?.toFixed(2)}; ${c.msPerIteration?.toFixed(0)} ms/iteration; downloaded ${dl.suggestedFilename()}`;
  }, { needsModel: true });

  await check('trace', async () => {
    await page.click('.tabs button[data-view="trace"]');
    const t = await job('trace', () => page.click('#trace-run'), 300000);
    assert(t.layers.length >= 20, `${t.layers.length} layers`);
    assert(t.layers.every((l) => Number.isFinite(l.gradNorm) && l.gradZeros >= 0 && l.gradZeros <= 1), 'non-finite gradient statistics');
    const bars = await page.locator('#trace-chart svg rect.bar-norm').count();
    assert(bars === t.layers.length, `${bars} norm bars for ${t.layers.length} layers`);
    await shot('trace');
    return `${t.layers.length} layers, score ${t.score.toFixed(3)}; ${t.ms.toFixed(0)} ms`;
  }, { needsModel: true });

  await check('timing', async () => {
    await page.click('.tabs button[data-view="timing"]');
    const rows = await page.locator('#timing-steps tbody tr[data-id]').count();
    const n = await hookOf(() => window.gradsight.timings.length);
    assert(rows === n && n >= 1, `${rows} rows for ${n} timed steps`);
    const ts = await hookOf(() => window.gradsight.state.adapter.features.includes('timestamp-query'));
    if (ts) {
      const k = await page.locator('#timing-kernels .k').count();
      assert(k >= 1, 'timestamp-query is available but no per-kernel times are shown');
    }
    await shot('timing');
    return `${n} steps${ts ? ', per-kernel GPU times shown' : ''}`;
  }, { needsModel: true });

  await check('local-files', async () => {
    // Weights picked from disk (the ONNX export, parsed by the same importer), then an image dropped on the page.
    await page.click('.tabs button[data-view="predict"]');
    const onnx = join(SHARED, 'weights', 'squeezenet1_1.onnx');
    assert(existsSync(onnx), `${onnx} is missing`);
    const p1 = await job('predict', () => page.setInputFiles('#weights-file', onnx), 180000);
    const st = await hookOf(() => window.gradsight.state);
    assert(st.weights === 'ready' && st.weightsName === 'squeezenet1_1.onnx', `weights ${st.weights} ${st.weightsName}: ${st.weightsError}`);
    assert(p1.top5[0].class === ref.predict.top[0].class, `with the ONNX weights the top-1 is ${p1.top5[0].class}`);
    const drop = 'n01_85_dropped.png';
    const b64 = readFileSync(join(SAMPLES, '01_85.png')).toString('base64');
    const p2 = await job('predict', () => page.evaluate(([name, data]) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: 'image/png' }));
      for (const type of ['dragenter', 'dragover', 'drop']) window.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, [drop, b64]), 180000);
    const img = await hookOf(() => window.gradsight.state.image);
    assert(p2.image === drop && img.sample === null && img.label === null, `after the drop the page shows ${JSON.stringify(img)}`);
    assert(await page.isHidden('#drop-overlay'), 'the drop overlay stays up');
    return `ONNX weights from the file picker: top-1 ${p1.top5[0].class}; dropped image → ${p2.top5[0].class} ${p2.top5[0].name}`;
  }, { needsModel: true });

  await check('no-webgpu', async () => {
    const p2 = await context.newPage();
    const errs = [];
    p2.on('pageerror', (e) => errs.push(e.message));
    await p2.addInitScript(() => {
      delete Navigator.prototype.gpu;
    });
    await p2.goto(server.url);
    await p2.waitForFunction(() => window.gradsight && window.gradsight.state.phase !== 'starting', null, { timeout: 60000 });
    const s = await p2.evaluate(() => ({ phase: window.gradsight.state.phase, gpu: 'gpu' in navigator }));
    assert(!s.gpu, 'navigator.gpu is still there');
    assert(s.phase === 'no-webgpu', `page phase '${s.phase}'`);
    assert(await p2.isVisible('#nogpu'), 'the explanation is not visible');
    const text = await p2.textContent('#nogpu');
    assert(/Chrome/.test(text) && /enable-unsafe-webgpu/.test(text) && /secure context/.test(text), 'the explanation lacks browsers and flags');
    assert(!errs.length, `page errors: ${errs.join('; ')}`);
    await p2.screenshot({ path: join(OUT, 'no-webgpu.png'), fullPage: true });
    await p2.close();
    return 'explanation shown, no page errors';
  });

  // Uncaught exceptions and rejections (errors of a job are shown on the page and fail that job's check).
  await check('no-uncaught-errors', async () => {
    assert(!pageErrors.length, pageErrors.join('\n'));
  });

  // In-browser timings, for the record.
  try {
    const timings = await hookOf(() => window.gradsight.timings.map((t) => ({ label: t.label, ms: t.ms, perStepMs: t.perStepMs, steps: t.steps, unit: t.stepUnit, gpuMs: t.gpuMs })));
    if (timings.length) {
      log('\nin-browser timings (SwiftShader; per-kernel profiling on where available):');
      for (const t of timings) log(`  ${t.label.padEnd(32)} ${t.ms.toFixed(0).padStart(8)} ms${t.perStepMs ? `   ${t.perStepMs.toFixed(0)} ms/${t.unit} ×${t.steps}` : ''}${t.gpuMs ? `   GPU ${t.gpuMs.toFixed(0)} ms` : ''}`);
    }
    writeFileSync(join(OUT, 'summary.json'), JSON.stringify({ results, timings, reference: { predictMs: ref.predictMs, saliencyMs: ref.saliencyMs }, durationMs: Date.now() - T0 }, null, 2));
  } catch {
    /* the page is gone: the checks above say why */
  }
} catch (e) {
  results.push({ name: 'suite', status: 'failed', ms: 0, detail: e.message });
  log(`  FAIL  suite: ${e.message}`);
} finally {
  await context?.close().catch(() => {});
  if (server) await stopServer(server.child);
  rmSync(tmp, { recursive: true, force: true });
}

const passed = results.filter((r) => r.status === 'passed').length;
const failed = results.filter((r) => r.status === 'failed').length;
const skipped = results.filter((r) => r.status === 'skipped').length;
log(`\nscreenshots: ${OUT}`);
log(`suite took ${secs(Date.now() - T0)}`);
if (skipped) log(`!! ${skipped} model-dependent check(s) SKIPPED: ../shared is absent`);
log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
