#!/usr/bin/env node
// End-to-end test of the page's Bench view (node tests/e2e/bench.mjs; also run by tests/e2e/run.mjs' caller as
// its own suite): `gradsight serve --port 0`, headless Chromium (playwright-core, WebGPU on SwiftShader), then
//   bench-run       the model workloads and the conv kernel suite (runs 1), side by side with TensorFlow.js when
//                   the server offers it: the charts are drawn, and the JSON download has sane content
//   bench-tiles     tiles stored for this adapter in localStorage are applied after a reload
//   bench-tune      tuning from the view (one round) stores a choice for every family and the page uses it: the
//                   tuner's, or the tiles before it where a whole-model saliency step was faster with those
// Prints `N passed, M failed`; exits non-zero on failure. Needs no ../shared (random weights).
// Environment: E2E_CHROMIUM (default /usr/bin/chromium), E2E_HEADED=1, E2E_ONLY=name,name.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, OUT, ONLY, log, secs, assert, buildIfNeeded, startServer, stopServer, launchChromium } from './harness.mjs';

const results = [];

async function check(name, fn) {
  if (ONLY && !ONLY.has(name)) return;
  const t = Date.now();
  try {
    const detail = await fn();
    results.push({ name, status: 'passed' });
    log(`  PASS  ${name}  ${secs(Date.now() - t)}${detail ? `  ${detail}` : ''}`);
  } catch (e) {
    results.push({ name, status: 'failed' });
    log(`  FAIL  ${name}  ${secs(Date.now() - t)}\n        ${String(e.message).split('\n').join('\n        ')}`);
  }
}




const { chromium } = await import('playwright-core');
buildIfNeeded();
mkdirSync(OUT, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'gradsight-e2e-bench-'));
let server = null;
let context = null;
const pageErrors = [];
try {
  server = await startServer();
  context = await launchChromium(chromium, join(tmp, 'profile'), { acceptDownloads: true });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const ready = async () => {
    await page.waitForFunction(() => window.gradsight && window.gradsight.state.phase !== 'starting', null, { timeout: 60000 });
    const s = await page.evaluate(() => window.gradsight.state);
    assert(s.phase === 'ready', `page phase '${s.phase}' ${s.noWebGpuReason ?? ''}`);
    // Let the page's own start-up jobs (weights, first prediction) finish.
    await page.waitForFunction(() => !window.gradsight.state.busy && window.gradsight.state.weights !== 'loading', null, { timeout: 300000, polling: 250 });
    await page.waitForTimeout(500);
    await page.waitForFunction(() => !window.gradsight.state.busy, null, { timeout: 300000, polling: 250 });
  };
  /** Click `sel` and wait until the hook's last[key] is replaced and the page is idle (a new page error fails at once). */
  const job = async (key, start, timeout) => {
    await page.evaluate((k) => {
      window.__prev = window.gradsight.last[k] ?? null;
      window.__errs = window.gradsight.errors.length;
    }, key);
    await start();
    await page.waitForFunction((k) => (window.gradsight.last[k] && window.gradsight.last[k] !== window.__prev && !window.gradsight.state.busy) || window.gradsight.errors.length > window.__errs, key, { timeout, polling: 250 });
    const r = await page.evaluate((k) => ({ value: window.gradsight.last[k], errors: window.gradsight.errors.slice(window.__errs) }), key);
    if (r.errors.length) throw new Error(`the page reported: ${r.errors.join('; ')}`);
    return r.value;
  };
  await page.goto(server.url);
  await ready();

  await check('bench-run', async () => {
    await page.click('.tabs [data-view="bench"]');
    assert(await page.isVisible('#view-bench'), 'the Bench view is not shown');
    await page.fill('#bench-batches', '1');
    await page.fill('#bench-runs', '1');
    await page.check('#bench-kernels');
    await page.waitForFunction(() => document.getElementById('bench-tfjs-note').textContent !== '' || !document.getElementById('bench-tfjs').disabled, null, { timeout: 30000 }).catch(() => {});
    const tfjsOk = !(await page.isDisabled('#bench-tfjs'));
    if (tfjsOk) await page.check('#bench-tfjs');
    const r = await job('bench', () => page.click('#bench-run'), 900000);
    // The charts: one bar per engine and workload; three passes for each of the 18 conv shapes, in both charts.
    const engines = tfjsOk ? 2 : 1;
    const modelBars = await page.locator('#bench-chart-model svg rect.bar').count();
    assert(modelBars === 2 * engines, `${modelBars} bars in the workload chart, expected ${2 * engines}`);
    for (const id of ['bench-chart-gflops', 'bench-chart-gbs']) {
      const bars = await page.locator(`#${id} svg rect.bar`).count();
      assert(bars === 54, `${bars} bars in #${id}, expected 54 (18 shapes × 3 passes)`);
    }
    assert(r.workloads.length === 2 && r.kernels.length === 54, `${r.workloads.length} workloads, ${r.kernels.length} kernel rows`);
    await page.screenshot({ path: join(OUT, 'bench.png'), fullPage: true });
    // The JSON download.
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), page.click('#bench-download')]);
    const file = join(OUT, dl.suggestedFilename());
    await dl.saveAs(file);
    const j = JSON.parse(readFileSync(file, 'utf8'));
    assert(/^gradsight-bench-.*\.json$/.test(dl.suggestedFilename()), `download named ${dl.suggestedFilename()}`);
    assert(j.adapter && typeof j.adapter.vendor === 'string' && j.userAgent.includes('Chrom'), 'no adapter or user agent in the JSON');
    assert(j.tiles && j.tiles.forward && Number.isInteger(j.tiles.forward.tc), `tiles ${JSON.stringify(j.tiles)}`);
    const names = j.workloads.map((w) => w.workload).join();
    assert(names === 'forward_b1,saliency_b1', `workloads ${names}`);
    for (const w of j.workloads) {
      for (const e of ['gradsight', ...(tfjsOk ? ['tfjs'] : [])]) {
        const s = w[e];
        assert(s && s.median_ms > 1 && s.median_ms < 600000 && s.times.length === 1, `${w.workload} ${e}: ${JSON.stringify(s)}`);
      }
    }
    // A saliency step does a forward and more: it cannot be faster than half a forward.
    assert(j.workloads[1].gradsight.median_ms > 0.5 * j.workloads[0].gradsight.median_ms, 'saliency faster than half a forward');
    const passes = new Set(j.kernels.map((k) => k.pass));
    assert(passes.size === 3 && passes.has('forward') && passes.has('input-gradient') && passes.has('weight-gradient'), `passes ${[...passes]}`);
    for (const k of j.kernels) {
      assert(k.ms > 0 && Number.isFinite(k.gflops) && k.gflops > 0 && k.gflops < 1e6 && k.gbs > 0, `${k.layer} ${k.pass}: ${JSON.stringify(k)}`);
    }
    // GFLOP/s is the FLOP count over the time: check one row by hand (classifier forward: 2·1000·13²·512).
    const cls = j.kernels.find((k) => k.layer === 'classifier.1' && k.pass === 'forward');
    assert(Math.abs(cls.gflops - (2 * 1000 * 169 * 512) / cls.ms / 1e6) < 1e-6 * cls.gflops, 'classifier GFLOP/s does not match its time');
    if (tfjsOk) assert(j.tfjs.version && !j.tfjs.unavailable, `tfjs ${JSON.stringify(j.tfjs)}`);
    const w = j.workloads;
    return `forward_b1 ${w[0].gradsight.median_ms.toFixed(0)} ms, saliency_b1 ${w[1].gradsight.median_ms.toFixed(0)} ms${tfjsOk ? ` (tfjs ${w[0].tfjs.median_ms.toFixed(0)} / ${w[1].tfjs.median_ms.toFixed(0)} ms)` : ', tfjs unavailable'}; 54 kernel timings; downloaded ${dl.suggestedFilename()}`;
  });

  await check('bench-tiles', async () => {
    // Tiles remembered for this adapter are applied at start-up (a deliberately non-default set).
    const key = await page.evaluate(() => {
      const a = window.gradsight.state.adapter;
      return 'gradsight.convTiles.v1:' + [a.vendor, a.architecture, a.device, a.description].map((s) => (s || '').trim()).join('|');
    });
    const before = await page.evaluate(() => window.gradsight.convTiles());
    const want = { ...before.tiles, forward: { wg: 32, tc: 8, tp: 2 }, pointwise: { wg: 64, tc: 16, tp: 2 } };
    await page.evaluate(([k, t]) => localStorage.setItem(k, JSON.stringify({ tiles: t, at: new Date().toISOString(), rounds: 0, userAgent: 'e2e' })), [key, want]);
    await page.reload();
    await ready();
    const after = await page.evaluate(() => window.gradsight.convTiles());
    assert(after.from === 'stored', `tiles from '${after.from}', expected 'stored'`);
    assert(JSON.stringify(after.tiles) === JSON.stringify(want), `tiles ${JSON.stringify(after.tiles)}, stored ${JSON.stringify(want)}`);
    const text = await page.textContent('#bench-tiles');
    assert(/tuned on this adapter/.test(text) && text.includes('8×2/32'), `the view says '${text}'`);
    await page.evaluate((k) => localStorage.removeItem(k), key);
    return `applied after a reload: forward ${JSON.stringify(after.tiles.forward)}`;
  });

  await check('bench-tune', async () => {
    await page.click('.tabs [data-view="bench"]');
    const res = await job('tuning', () => page.evaluate(() => void window.gradsight.tuneTiles(1)), 900000);
    assert(Array.isArray(res) && res.length === 5, `${res?.length} families tuned`);
    for (const f of res) assert(f.candidates.length >= 2 && f.candidates.every((c) => c.medianMs > 0), `${f.family}: ${JSON.stringify(f.candidates)}`);
    const stored = await page.evaluate(() => {
      const a = window.gradsight.state.adapter;
      return JSON.parse(localStorage.getItem('gradsight.convTiles.v1:' + [a.vendor, a.architecture, a.device, a.description].map((s) => (s || '').trim()).join('|')));
    });
    const now = await page.evaluate(() => window.gradsight.convTiles());
    assert(stored && JSON.stringify(stored.tiles) === JSON.stringify(now.tiles) && now.from === 'tuned', `stored ${JSON.stringify(stored?.tiles)}, in use ${JSON.stringify(now)}`);
    // The whole-model check runs whenever the tuner changed a tile; the tiles kept are the faster set.
    const chk = stored.check;
    const changed = res.some((f) => JSON.stringify(f.before) !== JSON.stringify(f.chosen));
    assert(!!chk === changed, `check ${JSON.stringify(chk)} with ${changed ? '' : 'no '}changed tiles`);
    if (chk) assert(chk.tunedMs > 0 && chk.previousMs > 0 && chk.kept === (chk.tunedMs <= chk.previousMs ? 'tuned' : 'previous'), JSON.stringify(chk));
    const status = await page.evaluate(() => document.getElementById('bench-status').textContent);
    if (chk) assert(status.includes(`kept the ${chk.kept} tiles`), status);
    for (const f of res) {
      const want = chk?.kept === 'previous' ? f.before : f.chosen;
      assert(JSON.stringify(stored.tiles[f.family]) === JSON.stringify(want), `${f.family}: stored ${JSON.stringify(stored.tiles[f.family])}, want ${JSON.stringify(want)} (check ${JSON.stringify(chk)})`);
    }
    const check = chk ? `; saliency step ${chk.tunedMs.toFixed(0)} ms tuned vs ${chk.previousMs.toFixed(0)} ms before: kept ${chk.kept}` : '';
    return res.map((f) => `${f.family} ${f.chosen.tc}×${f.chosen.tp}/${f.chosen.wg}${f.chosen.gemm ? ' gemm' : ''} of ${f.candidates.length}`).join(', ') + check;
  });

  await check('bench-no-page-errors', async () => assert(!pageErrors.length, pageErrors.join('\n')));
} catch (e) {
  results.push({ name: 'suite', status: 'failed' });
  log(`  FAIL  suite: ${e.message}`);
} finally {
  await context?.close().catch(() => {});
  if (server) await stopServer(server.child);
  rmSync(tmp, { recursive: true, force: true });
}
const passed = results.filter((r) => r.status === 'passed').length;
const failed = results.filter((r) => r.status === 'failed').length;
log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
