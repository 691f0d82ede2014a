#!/usr/bin/env node
// End-to-end tests of the page (npm run test:e2e): builds if needed, starts `gradsight serve --port 0`, drives
// headless Chromium (playwright-core, WebGPU on SwiftShader) through every view, and compares the page's
// numbers with the Node CLI's (Dawn on lavapipe). Screenshots go to test-results/e2e/. Prints
// `N passed, M failed` and exits non-zero on failure. Without the repository's samples/ and weights/ the
// model-dependent checks are skipped with a loud message; the rest still runs.
//
// Besides every view's numbers: the Compare view, downloads (files checked byte by byte against the page's
// numbers), the backward-pass explorer, 400 px width (no sideways scrolling on any tab) and keyboard access (tabs
// with arrow keys, file pickers reached with Tab and opened with Enter).
//
// Environment: E2E_IMAGE (sample file, default 00_958.png), E2E_CHROMIUM (default /usr/bin/chromium),
// E2E_HEADED=1 (show the browser), E2E_ONLY=name,name (run only these checks; server and adapter always run).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { ROOT, OUT, CHROMIUM, ONLY, log, secs, assert, buildIfNeeded, startServer, stopServer, launchChromium } from './harness.mjs';

const SHARED = resolve(ROOT, '..', 'shared');
// The repository's own sample images and default weights (what `gradsight serve` offers).
const SAMPLES = join(ROOT, 'samples');
const WEIGHTS = join(ROOT, 'weights', 'squeezenet1_1.safetensors');
const IMAGE = process.env.E2E_IMAGE ?? '00_958.png';
const T0 = Date.now();


// ---------------- checks bookkeeping ----------------

const results = [];
async function check(name, fn, { needsModel = false } = {}) {
  if (ONLY && !ONLY.has(name) && !['server', 'adapter'].includes(name)) return;
  if (needsModel && !HAS_MODEL) {
    results.push({ name, status: 'skipped', ms: 0, detail: 'samples/ or weights/ is missing' });
    log(`  SKIP  ${name}  (needs the repository's weights and sample images)`);
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


// ---------------- build ----------------



// ---------------- Node reference ----------------

function readNpyF32(path) {
  return npyF32(readFileSync(path), path);
}

function npyF32(b, path = 'npy') {
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

/** Width and height of a PNG file (its IHDR chunk). */
function pngSize(b) {
  assert(b.length > 24 && b.subarray(1, 4).toString('latin1') === 'PNG' && b.subarray(12, 16).toString('latin1') === 'IHDR', 'not a PNG file');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function relL2(a, b) {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

// ---------------- server ----------------



// ---------------- main ----------------

const HAS_MODEL = existsSync(WEIGHTS) && existsSync(join(SAMPLES, IMAGE));
log(`gradsight end-to-end tests (${new Date().toISOString()})`);
if (!HAS_MODEL) {
  log('');
  log('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
  log(`!!  ${WEIGHTS} or ${join(SAMPLES, IMAGE)} is missing:`);
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
if (HAS_MODEL) {
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
    log(`reference (node dist/cli.js, ${p.json.adapter?.architecture ?? 'adapter'}): ${IMAGE} top-1 ${ref.predict.top[0].class} ${ref.predict.top[0].className ?? ref.predict.top[0].name} (${secs(p.ms)}), saliency for class ${ref.salClass} (${secs(s.ms)})`);
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
    if (HAS_MODEL) {
      assert(idx.images.length >= 10 && idx.images.some((i) => i.file === IMAGE && Number.isInteger(i.label)), `/samples/index.json lists ${idx.images.length} images`);
      const w = await get('/weights');
      assert(w.status === 200 && Number(w.headers.get('content-length')) === w.body.length && w.body.length > 4e6, `/weights → ${w.status}, ${w.body.length} bytes`);
      assert(info.weights && info.weights.size === w.body.length, `/info.json weights ${JSON.stringify(info.weights)}`);
    }
    return `${base} (${idx.images.length} samples, weights ${info.weights ? info.weights.name : 'none'})`;
  });
  if (!server) throw new Error('no server: nothing else can run');

  const userData = join(tmp, 'chromium-profile');
  mkdirSync(userData);
  context = await launchChromium(chromium, userData);
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

  /** Click a download button; the file's name and bytes (also saved under test-results/e2e/downloads/). */
  const download = async (selector, p = page) => {
    assert(await p.isEnabled(selector), `${selector} is disabled`);
    const [dl] = await Promise.all([p.waitForEvent('download', { timeout: 20000 }), p.click(selector)]);
    const file = join(OUT, 'downloads', dl.suggestedFilename());
    mkdirSync(join(OUT, 'downloads'), { recursive: true });
    await dl.saveAs(file);
    return { name: dl.suggestedFilename(), bytes: readFileSync(file) };
  };
  const noSideways = async (what) => {
    const w = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: window.innerWidth }));
    assert(w.sw <= w.iw, `${what}: the page scrolls sideways (scrollWidth ${w.sw} > ${w.iw})`);
  };

  await page.goto(server.url);

  await check('adapter', async () => {
    await waitHook(() => window.gradsight && window.gradsight.state.phase !== 'starting', null, 60000);
    const s = await hookOf(() => window.gradsight.state);
    assert(s.phase === 'ready', `page phase is '${s.phase}'${s.noWebGpuReason ? `: ${s.noWebGpuReason}` : ''}`);
    assert(s.adapter && s.adapter.vendor, 'no adapter report');
    const pill = await page.textContent('#adapter-pill');
    assert(pill.includes(s.adapter.architecture) && pill.includes(s.adapter.mode), `adapter pill says '${pill}'`);
    if (!HAS_MODEL) {
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
    const topName = ref.predict.top[0].className ?? ref.predict.top[0].name; // the CLI's JSON: className (older: name)
    assert(shown.includes(topName), `the top-5 list does not show '${topName}'`);
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
    // Downloads: the map as the CLI's --raw .npy (the same numbers), the signed attribution, a PNG, the JSON.
    const npy = npyF32((await download('#sal-dl-npy')).bytes);
    assert(npy.shape.join() === `1,${s.shape[1]},${s.shape[2]}` && npy.data.every((v, i) => v === s.maps[i]), `map .npy: shape [${npy.shape}] or values differ from the page's map`);
    const signed = npyF32((await download('#sal-dl-signed')).bytes);
    assert(signed.shape.join() === `1,3,${s.shape[1]},${s.shape[2]}`, `signed .npy shape [${signed.shape}]`);
    const n = s.shape[1] * s.shape[2];
    for (let i = 0; i < n; i += 97) {
      const m = Math.max(Math.abs(signed.data[i]), Math.abs(signed.data[n + i]), Math.abs(signed.data[2 * n + i]));
      assert(m === s.maps[i], `pixel ${i}: max |signed| over channels ${m} ≠ map ${s.maps[i]}`);
    }
    const png = await download('#sal-dl-png');
    const ps = pngSize(png.bytes);
    assert(ps.width === 224 && ps.height === 224, `saliency PNG is ${ps.width}×${ps.height}`);
    const js = JSON.parse((await download('#sal-dl-json')).bytes.toString());
    assert(js.method === 'vanilla' && js.class === ref.salClass && js.image === IMAGE, `saliency JSON ${JSON.stringify(js).slice(0, 200)}`);
    // Signed views: positive and negative show different pixels; blended shows both.
    const stats = {};
    for (const mode of ['positive', 'negative', 'blended', 'abs']) {
      await page.click(`#sal-sign button[data-sign="${mode}"]`);
      stats[mode] = await page.evaluate(() => window.gradsight.canvasStats('sal-heat'));
      if (mode !== 'abs') await shot(`saliency-${mode}`);
    }
    assert(stats.positive.hash !== stats.negative.hash && stats.blended.hash !== stats.abs.hash, 'the sign modes draw the same picture');
    assert(stats.positive.opaque > 500 && stats.negative.opaque > 500, `positive/negative overlays look empty (${stats.positive.opaque}, ${stats.negative.opaque} visible pixels)`);
    return `relative L2 vs Node ${rel.toExponential(2)}; heat map std ${heat.std.toFixed(1)}; ${s.ms.toFixed(0)} ms in the page; downloads ${png.name} and .npy/JSON checked`;
  }, { needsModel: true });

  await check('saliency-methods', async () => {
    const out = [];
    for (const m of ['smoothgrad', 'integrated-gradients', 'gradcam']) {
      await page.click(`#sal-methods button[data-method="${m}"]`);
      if (m === 'smoothgrad') await page.fill('#sg-samples', '2');
      if (m === 'integrated-gradients') await page.fill('#ig-steps', '2');
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
    const thumbs = await page.locator('#sal-thumbs .thumb').count();
    assert(thumbs === 4, `${thumbs} saliency thumbnails, expected 4`);
    await shot('saliency-methods');
    return out.join('; ');
  }, { needsModel: true });

  await check('compare', async () => {
    const gradcam = await hookOf(() => window.gradsight.last.saliency);
    await page.click('.tabs [data-view="compare"]');
    const settingsText = await page.textContent('#cmp-settings');
    assert(/SmoothGrad 2 samples/.test(settingsText) && /2 steps/.test(settingsText), `the Compare view shows the settings '${settingsText}'`);
    const c = await job('compare', () => page.click('#cmp-run'), 600000);
    assert(!c.stopped && c.methods.map((m) => m.method).join() === 'vanilla,smoothgrad,integrated-gradients,gradcam', `compared ${c.methods.map((m) => m.method)}`);
    assert(c.methods[1].settings.samples === 2 && c.methods[2].settings.samples === 2 && c.methods[3].settings.layer === 'features.12', `settings ${JSON.stringify(c.methods.map((m) => m.settings))}`);
    for (const m of ['vanilla', 'smoothgrad', 'integratedgradients', 'gradcam']) {
      const st = await page.evaluate((id) => window.gradsight.canvasStats(id), `cmp-heat-${m}`);
      assert(st.opaque > 1000 && st.std > 5, `the ${m} panel looks blank`);
      const w = await page.evaluate((id) => document.getElementById(id).getBoundingClientRect().width, `cmp-heat-${m}`);
      assert(w >= 224, `the ${m} panel is ${w.toFixed(0)} px wide (full size is ≥ 224)`);
    }
    await shot('compare');
    // The raw maps: [4, 224, 224] in method order; Grad-CAM's equals the Saliency tab's Grad-CAM map of the same class.
    const maps = npyF32((await download('#cmp-dl-npy')).bytes);
    assert(maps.shape.join() === '4,224,224', `maps .npy shape [${maps.shape}]`);
    if (gradcam.method === 'gradcam' && gradcam.class === c.class) {
      const cam = maps.data.subarray(3 * 224 * 224);
      assert(relL2(cam, gradcam.maps) < 1e-6, `Compare's Grad-CAM differs from the Saliency tab's by ${relL2(cam, gradcam.maps).toExponential(2)}`);
    }
    assert(maps.data.every(Number.isFinite), 'non-finite values in the maps');
    const signed = npyF32((await download('#cmp-dl-signed')).bytes);
    assert(signed.shape.join() === '4,224,224' && signed.data.some((v) => v < 0) && signed.data.some((v) => v > 0), 'signed .npy: wrong shape or one sign only');
    const all = pngSize((await download('#cmp-dl-all')).bytes);
    assert(all.width === 5 * 224 + 6 * 12 && all.height > 224, `all-in-one PNG is ${all.width}×${all.height}`);
    const one = await download('#cmp-dl-png-smoothgrad');
    assert(/smoothgrad/.test(one.name) && pngSize(one.bytes).width === 224, `per-panel PNG ${one.name}`);
    const panelNpy = npyF32((await download('#cmp-dl-npy-integratedgradients')).bytes);
    assert(panelNpy.shape.join() === '1,224,224' && panelNpy.data.every((v, i) => v === maps.data[2 * 224 * 224 + i]), 'the IG panel .npy differs from the IG slice of the maps');
    const js = JSON.parse((await download('#cmp-dl-json')).bytes.toString());
    assert(js.order.join() === 'vanilla,smoothgrad,integrated-gradients,gradcam' && js.results[2].settings.baseline === 'zeros', `compare JSON ${JSON.stringify(js).slice(0, 200)}`);
    await page.click('#cmp-sign button[data-sign="blended"]');
    await shot('compare-blended');
    await page.click('#cmp-sign button[data-sign="abs"]');
    // Stop from the busy bar, between methods: the busy bar says what runs.
    let busyText = '';
    const s2 = await job('compare', async () => {
      await page.click('#cmp-run');
      await waitHook(() => /\(2 of 4\)/.test(document.getElementById('busy-text').textContent) || !window.gradsight.state.busy, null, 300000);
      busyText = await page.textContent('#busy-text');
      await page.click('#busy-stop');
    }, 600000);
    assert(/Running: compare: SmoothGrad \(2 of 4\)/.test(busyText), `busy bar said '${busyText}'`);
    assert(s2.stopped && s2.methods.length === 2, `after Stop: ${s2.methods.length} methods, stopped ${s2.stopped}`);
    assert(await page.isHidden('#busy'), 'the busy bar stays up');
    return `4 methods in ${(c.ms / 1000).toFixed(1)} s; downloads checked (maps [4,224,224], signed, all-in-one ${all.width}×${all.height}, per panel); Stop after ${s2.methods.length} methods`;
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
    const fnpy = npyF32((await download('#fool-dl-npy')).bytes);
    assert(fnpy.shape.join() === '1,3,224,224' && fnpy.data.every(Number.isFinite), `fooled .npy shape [${fnpy.shape}]`);
    const fjs = JSON.parse((await download('#fool-dl-json')).bytes.toString());
    assert(fjs.success === f.success && fjs.predicted === f.predicted && fjs.iterations === f.iterations && fjs.settings.maxIter === 30, `fooling JSON ${JSON.stringify(fjs).slice(0, 200)}`);
    for (const id of ['#fool-dl-png', '#fool-dl-diff']) {
      const ps = pngSize((await download(id)).bytes);
      assert(ps.width === 224 && ps.height === 224, `${id}: ${ps.width}×${ps.height}`);
    }
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
    const cnpy = npyF32((await download('#cv-dl-npy')).bytes);
    assert(cnpy.shape.join() === '1,3,224,224' && cnpy.data.every(Number.isFinite), `classviz .npy shape [${cnpy.shape}]`);
    const cjs = JSON.parse((await download('#cv-dl-json')).bytes.toString());
    assert(cjs.target === c.target && cjs.iterations === 3 && cjs.settings.iterations === 3, `classviz JSON ${JSON.stringify(cjs).slice(0, 200)}`);
    return `${c.iterations} iterations of class ${c.target}, score ${c.score?.toFixed(2)}; ${c.msPerIteration?.toFixed(0)} ms/iteration; downloaded ${dl.suggestedFilename()}`;
  }, { needsModel: true });

  await check('trace', async () => {
    await page.click('.tabs button[data-view="trace"]');
    const head = await page.textContent('#view-trace .view-head');
    assert(!/ReLU (and max-pool )?gating shows? up as zeros/.test(head), 'the trace still says ReLU gating shows up as zeros at the outputs');
    const t = await job('trace', () => page.click('#trace-run'), 300000);
    assert(t.layers.length >= 20, `${t.layers.length} layers`);
    assert(t.layers.every((l) => Number.isFinite(l.gradNorm) && l.gradZeros >= 0 && l.gradZeros <= 1), 'non-finite gradient statistics');
    const rows = await page.locator('#trace-chart .trace-row').count();
    assert(rows === t.layers.length, `${rows} rows for ${t.layers.length} layers`);
    // What the text says, the numbers show: ReLU outputs feeding convs have (almost) no gradient zeros, after the gate they do;
    // max-pool inputs have them.
    const fire = t.layers.find((l) => l.name === 'features.10');
    assert(fire.kind === 'relu' && fire.gradZeros < 0.01 && fire.gatedZeros > 0.2, `features.10: gradient zeros ${fire.gradZeros}, after the gate ${fire.gatedZeros}`);
    for (const l of t.layers.filter((l) => l.pooledBy)) assert(l.gradZeros > 0.4, `${l.name} feeds ${l.pooledBy} but its gradient is zero at only ${l.gradZeros}`);
    // The explorer opens on focus (keyboard), under the row; arrows move between rows.
    await page.focus('#trace-chart .trace-row[data-layer="features.5"]');
    await page.keyboard.press('ArrowDown');
    const focused = await page.evaluate(() => document.activeElement?.dataset.layer);
    assert(focused === 'features.4', `ArrowDown moved the focus to ${focused}`);
    await waitHook(() => window.gradsight.last.explorer?.layer === 'features.4', null, 10000);
    const ex = await hookOf(() => window.gradsight.last.explorer);
    assert(await page.isVisible('#explorer'), 'the explorer is hidden');
    assert(await page.evaluate(() => document.querySelector('.trace-row[data-layer="features.4"]').nextElementSibling?.id === 'explorer'), 'the explorer is not under its row');
    assert(ex.panels.join() === 'activation,gradient,relu-mask,gated,routing', `explorer panels ${ex.panels}`);
    assert(ex.routing && ex.routing.nonzeroWhereBlocked === 0 && ex.routing.blocked > 0.4, `routing ${JSON.stringify(ex.routing)}`);
    const pct = (f) => `${(f * 100).toFixed(1)}%`;
    const exText = await page.textContent('#ex-text');
    const row = t.layers.find((l) => l.name === 'features.4');
    for (const v of [pct(ex.routing.blocked), pct(row.gradZeros), pct(row.gatedZeros), pct(row.actZeros)]) assert(exText.includes(v), `the explorer text lacks ${v}: ${exText}`);
    for (const id of await page.$$eval('#ex-figs canvas', (cs) => cs.map((c, i) => i))) {
      const st = await page.evaluate((i) => { const c = document.querySelectorAll('#ex-figs canvas')[i]; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let s = 0, q = 0; for (let k = 0; k < d.length; k += 4) { s += d[k]; q += d[k] * d[k]; } const m = s / (d.length / 4); return { w: c.width, std: Math.sqrt(q / (d.length / 4) - m * m) }; }, id);
      assert(st.w === 55 && st.std > 1, `explorer canvas ${id}: ${st.w} px wide, std ${st.std.toFixed(2)}`);
    }
    await shot('explorer');
    // One channel on demand.
    await page.fill('#ex-channel', '5');
    await page.press('#ex-channel', 'Enter');
    const ex5 = await hookOf(() => window.gradsight.last.explorer);
    assert(ex5.channel === 5 && ex5.layer === 'features.4', `channel view: ${JSON.stringify({ layer: ex5.layer, channel: ex5.channel })}`);
    assert((await page.textContent('#ex-channels')).includes('channel 5'), 'the explorer does not say which channel it shows');
    assert(/Channel 5 alone: the gradient arriving is zero at \d+\.\d% .* no window maximum of features\.5/.test(ex5.text), `the channel's own numbers are missing: ${ex5.text}`);
    await shot('explorer-channel');
    await page.click('#ex-all');
    // A ReLU layer that feeds convs: the gate's zeros are stated.
    await page.focus('#trace-chart .trace-row[data-layer="features.10"]');
    const ex10 = await hookOf(() => window.gradsight.last.explorer);
    assert(ex10.layer === 'features.10' && ex10.relu && Math.abs(ex10.relu.gatedZeros - fire.gatedZeros) < 1e-12 && !ex10.routing, `features.10 explorer ${JSON.stringify(ex10.relu)}`);
    // Downloads: JSON and CSV with one row per layer.
    const tj = JSON.parse((await download('#trace-dl-json')).bytes.toString());
    assert(tj.layers.length === t.layers.length && tj.class === t.class && tj.layers.every((l, i) => l.gradient.norm === t.layers[i].gradNorm), 'trace JSON differs from the page');
    const csv = (await download('#trace-dl-csv')).bytes.toString().trim().split('\n');
    assert(csv.length === t.layers.length + 1 && csv[0].startsWith('layer,kind,pooled_by,shape,grad_norm'), `trace CSV has ${csv.length} lines: ${csv[0]}`);
    assert(Number(csv[1].split(',')[4]) === t.layers[0].gradNorm, 'trace CSV numbers differ from the page');
    return `${t.layers.length} layers, score ${t.score.toFixed(3)}; ${t.ms.toFixed(0)} ms; explorer at features.4: ${pct(ex.routing.blocked)} no window maximum, gradient zero at ${pct(row.gradZeros)}`;
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
    const tcsv = (await download('#timing-dl-csv')).bytes.toString().trim().split('\n');
    assert(tcsv.length === n + 1 && tcsv[0].startsWith('id,label,wall_ms'), `timing CSV has ${tcsv.length} lines for ${n} steps`);
    const tjs = JSON.parse((await download('#timing-dl-json')).bytes.toString());
    assert(tjs.steps.length === n && tjs.steps.every((x) => x.wall_ms > 0), 'timing JSON');
    return `${n} steps${ts ? ', per-kernel GPU times shown' : ''}`;
  }, { needsModel: true });

  await check('keyboard', async () => {
    // Tabs: one tab stop, arrow keys / Home / End (the ARIA tabs pattern).
    await page.click('.tabs [data-view="predict"]');
    const stops = await page.$$eval('.tabs [role="tab"]', (ts) => ts.filter((t) => t.tabIndex === 0).map((t) => t.dataset.view));
    assert(stops.join() === 'predict', `tabs in the tab order: ${stops}`);
    await page.focus('.tabs [data-view="predict"]');
    await page.keyboard.press('ArrowRight');
    let st = await page.evaluate(() => ({ view: window.gradsight.state.view, focus: document.activeElement.dataset.view, sel: document.querySelector('[role="tab"][aria-selected="true"]').dataset.view }));
    assert(st.view === 'saliency' && st.focus === 'saliency' && st.sel === 'saliency', `ArrowRight: ${JSON.stringify(st)}`);
    await page.keyboard.press('End');
    const last = await page.$$eval('.tabs [role="tab"]', (ts) => ts[ts.length - 1].dataset.view);
    st = await page.evaluate(() => ({ view: window.gradsight.state.view, focus: document.activeElement.dataset.view }));
    assert(st.view === last && st.focus === last, `End: ${JSON.stringify(st)}`);
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowLeft');
    st = await page.evaluate(() => ({ view: window.gradsight.state.view }));
    assert(st.view === last, `ArrowLeft from the first tab: ${st.view}`);
    await page.keyboard.press('Home');
    // Every file picker is a button reached with Tab from the top of the page, and opens a file chooser with Enter.
    // (A standing listener turns on Playwright's file-chooser interception before the first key press.)
    const onChooser = () => {};
    page.on('filechooser', onChooser);
    await page.waitForTimeout(300);
    const pickers = { 'image-open': join(ROOT, 'samples', '02_244.png'), 'weights-open': null };
    const out = [];
    for (const [id, file] of Object.entries(pickers)) {
      // Start at the top: a click on the (unfocusable) title sets where Tab starts.
      await page.evaluate(() => document.activeElement?.blur());
      await page.click('.brand h1');
      let presses = 0;
      for (; presses < 60; presses++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate((i) => document.activeElement?.id === i, id)) break;
      }
      assert(presses < 60, `#${id} is not reachable with Tab`);
      const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 10000 }), page.keyboard.press('Enter')]);
      if (file && existsSync(file)) {
        const p = await job('predict', () => chooser.setFiles(file), 180000);
        assert(p.image === '02_244.png', `the keyboard-picked image is ${p.image}`);
      } else await chooser.setFiles([]);
      out.push(`#${id} after ${presses + 1} Tab presses`);
    }
    page.off('filechooser', onChooser);
    // Back to the test image for the checks that follow.
    await job('predict', () => page.click(`#gallery button[data-file="${IMAGE}"]`), 180000);
    return out.join(', ');
  }, { needsModel: true });

  await check('phone-width', async () => {
    await page.setViewportSize({ width: 400, height: 860 });
    try {
      const views = await page.$$eval('.tabs [role="tab"]', (ts) => ts.map((t) => t.dataset.view));
      for (const v of views) {
        await page.click(`.tabs [data-view="${v}"]`);
        await page.waitForTimeout(100);
        await noSideways(`the ${v} tab at 400 px`);
        if (['saliency', 'compare', 'trace', 'fooling'].includes(v)) await shot(`${v}-400`);
      }
      // The header keeps its pills inside; canvases scale to the column.
      const hdr = await page.evaluate(() => [...document.querySelectorAll('.topbar, .topbar .pill')].map((e) => e.getBoundingClientRect().right));
      assert(hdr.every((r) => r <= 400.5), `the header spills out: ${hdr.map((r) => r.toFixed(0))}`);
      await page.click('.tabs [data-view="compare"]');
      const cw = await page.evaluate(() => [document.getElementById('cmp-heat-vanilla').getBoundingClientRect().right, document.querySelector('#view-compare').getBoundingClientRect().right]);
      assert(cw[0] <= cw[1] + 0.5, `a Compare panel overflows its view (${cw[0].toFixed(0)} > ${cw[1].toFixed(0)})`);
      await page.click('.tabs [data-view="trace"]');
      if (await page.locator('#trace-chart .trace-row').count()) {
        await page.focus('#trace-chart .trace-row[data-layer="features.7"]');
        await noSideways('the trace explorer at 400 px');
        await shot('explorer-400');
      }
      // The busy bar fits too.
      await page.click('.tabs [data-view="saliency"]');
      await page.click('#sal-methods button[data-method="vanilla"]');
      const s = await job('saliency', async () => {
        await page.click('#sal-run');
        await waitHook(() => !!window.gradsight.state.busy, null, 10000).catch(() => {});
        if (await page.isVisible('#busy')) await noSideways('the busy bar at 400 px');
      }, 300000);
      assert(s.method === 'vanilla', 'saliency at 400 px');
      await noSideways('saliency result at 400 px');
      await shot('saliency-400');
      return `${views.length} tabs without sideways scrolling at 400 px`;
    } finally {
      await page.setViewportSize({ width: 1400, height: 900 });
    }
  }, { needsModel: true });

  await check('local-files', async () => {
    // Weights picked from disk (the ONNX export, parsed by the same importer), then an image dropped on the page.
    await page.click('.tabs button[data-view="predict"]');
    // Any second weights file works; ../shared's ONNX export tests a second format when it is there.
    const onnxShared = join(SHARED, 'weights', 'squeezenet1_1.onnx');
    const onnx = existsSync(onnxShared) ? onnxShared : WEIGHTS;
    const p1 = await job('predict', () => page.setInputFiles('#weights-file', onnx), 180000);
    const st = await hookOf(() => window.gradsight.state);
    assert(st.weights === 'ready' && st.weightsName === basename(onnx), `weights ${st.weights} ${st.weightsName}: ${st.weightsError}`);
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
    return `${basename(onnx)} from the file picker: top-1 ${p1.top5[0].class}; dropped image → ${p2.top5[0].class} ${p2.top5[0].name}`;
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
    // One consistent story: the title, the pill and the model card agree that the browser has no WebGPU.
    const title = await p2.textContent('#nogpu-title');
    const pill = await p2.textContent('#adapter-pill');
    const card = await p2.textContent('#weights-status');
    assert(title === 'This browser exposes no WebGPU' && /not in this browser/.test(pill) && card.startsWith(title), `title '${title}', pill '${pill}', card '${card}'`);
    assert(!/offered no adapter|no usable GPU adapter/.test(text), 'the no-WebGPU page also talks about adapters');
    assert(!errs.length, `page errors: ${errs.join('; ')}`);
    await p2.screenshot({ path: join(OUT, 'no-webgpu.png'), fullPage: true });
    await p2.setViewportSize({ width: 400, height: 860 });
    const w = await p2.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: window.innerWidth }));
    assert(w.sw <= w.iw, `the no-WebGPU page scrolls sideways at 400 px (${w.sw})`);
    await p2.screenshot({ path: join(OUT, 'no-webgpu-400.png'), fullPage: true });
    // WebGPU without an adapter: a different story, told the same way everywhere on the page.
    const p3 = await context.newPage();
    p3.on('pageerror', (e) => errs.push(e.message));
    await p3.addInitScript(() => {
      GPU.prototype.requestAdapter = async () => null;
    });
    await p3.goto(server.url);
    await p3.waitForFunction(() => window.gradsight && window.gradsight.state.phase !== 'starting', null, { timeout: 60000 });
    const t3 = await p3.textContent('#nogpu-title');
    const pill3 = await p3.textContent('#adapter-pill');
    const card3 = await p3.textContent('#weights-status');
    const reason3 = await p3.textContent('#nogpu-reason');
    assert(t3 === 'WebGPU found no usable GPU adapter' && /no adapter/.test(pill3) && card3.startsWith(t3) && /navigator\.gpu exists/.test(reason3), `no adapter: title '${t3}', pill '${pill3}', card '${card3}'`);
    assert(!errs.length, `page errors: ${errs.join('; ')}`);
    await p3.close();
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
if (skipped) log(`!! ${skipped} model-dependent check(s) SKIPPED: samples/ or weights/ is missing`);
log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
