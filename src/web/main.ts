// The gradsight page: WebGPU adapter, weights, image choice, and the views (predict, saliency, fooling, class
// visualization, gradient trace, timing), all on the same engine as the CLI. Entry point of dist/web/app.js.
import { Device, NoAdapterError } from '../core.js';
import { isCpuAdapter } from '../gpu/adapter.js';
import { $, fmtBytes, toast } from './dom.js';
import { canvasStats } from './draw.js';
import { initImages, loadGallery, samples, useFile, useSample } from './images.js';
import { initPredict } from './predict.js';
import { initSaliency, runSaliency, setSaliencyMethod } from './saliency.js';
import { initFooling, runFooling } from './fooling.js';
import { initClassViz, runClassViz } from './classviz.js';
import { initTrace, runTrace } from './trace.js';
import { initTiming, timingAdapterReady } from './timing.js';
import { initBench, benchAdapterReady } from './bench.js';
import { app, hook, isBusy } from './state.js';
import { initWeights, isWeightsFile, loadServerWeights, loadWeightsFile } from './weights.js';

const VIEWS = ['predict', 'saliency', 'fooling', 'classviz', 'trace', 'timing', 'bench'];

function showView(v: string): void {
  if (!VIEWS.includes(v)) v = 'predict';
  hook.state.view = v;
  for (const b of document.querySelectorAll<HTMLElement>('.tabs button')) {
    const on = b.dataset.view === v;
    b.classList.toggle('active', on);
    b.setAttribute('aria-selected', String(on));
  }
  for (const s of document.querySelectorAll<HTMLElement>('.view')) s.classList.toggle('active', s.id === `view-${v}`);
  if (location.hash !== `#${v}`) history.replaceState(null, '', `#${v}`);
}

function initTabs(): void {
  for (const b of document.querySelectorAll<HTMLElement>('.tabs button')) b.addEventListener('click', () => showView(b.dataset.view!));
  for (const b of document.querySelectorAll<HTMLElement>('[data-goto]')) b.addEventListener('click', () => showView(b.dataset.goto!));
  showView(location.hash.slice(1) || 'predict');
  window.addEventListener('hashchange', () => showView(location.hash.slice(1)));
}

function initDrop(): void {
  const overlay = $('drop-overlay');
  let depth = 0;
  const hasFiles = (e: DragEvent): boolean => !!e.dataTransfer && [...e.dataTransfer.types].includes('Files');
  window.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    depth++;
    overlay.hidden = false;
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) overlay.hidden = true;
  });
  window.addEventListener('dragover', (e) => {
    if (hasFiles(e)) e.preventDefault();
  });
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    overlay.hidden = true;
    const f = e.dataTransfer?.files?.[0];
    if (!f) return;
    if (isWeightsFile(f.name)) void loadWeightsFile(f);
    else void useFile(f);
  });
}

function adapterPill(): void {
  const a = app.device!.adapter;
  const p = $('adapter-pill');
  const what = [a.vendor, a.architecture, a.device].filter((s) => s && s !== 'unknown').join(' · ') || 'unknown adapter';
  p.textContent = `WebGPU: ${what} · ${a.mode}${a.fallback ? ' · fallback' : ''}`;
  p.title = `${a.description || what}\nmode: ${a.mode}${a.fallback ? ' (fallback adapter)' : ''}\nfeatures: ${a.features.join(', ')}\n` +
    Object.entries(a.limits).map(([k, v]) => `${k}: ${v}`).join('\n');
  p.className = 'pill ok';
}

function noWebGpu(reason: string, detail: string): void {
  hook.state.phase = 'no-webgpu';
  hook.state.noWebGpuReason = reason;
  $('nogpu').hidden = false;
  $('nogpu-reason').textContent = reason;
  $('nogpu-detail').textContent = detail;
  $('app').classList.add('disabled');
  $('app').setAttribute('aria-hidden', 'true');
  const p = $('adapter-pill');
  p.textContent = 'WebGPU: not available';
  p.className = 'pill bad';
  $('weights-pill').textContent = 'weights: —';
  $('weights-pill').className = 'pill bad';
  $('weights-status').textContent = 'The model needs WebGPU.';
}

function memoryFooter(): void {
  if (!app.device) return;
  const m = app.device.memory();
  $('foot-mem').textContent = ` · GPU memory: ${fmtBytes(m.liveBytes)} live in ${m.liveTensors} tensors, ${fmtBytes(m.allocatedBytes)} allocated (peak ${fmtBytes(m.peakBytes)})`;
}

async function start(): Promise<void> {
  initBench(); // adds its tab: before the tabs are wired
  initTabs();
  initImages();
  initWeights();
  initPredict();
  initSaliency();
  initFooling();
  initClassViz();
  initTrace();
  initTiming();
  initDrop();
  $('sal-run').classList.add('run-guard');
  $('fool-run').classList.add('run-guard');
  $('cv-run').classList.add('run-guard');
  $('trace-run').classList.add('run-guard');
  hook.canvasStats = (id: string) => canvasStats($<HTMLCanvasElement>(id));

  const gallery = loadGallery();
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) {
    const reason = window.isSecureContext
      ? 'This browser exposes no WebGPU (navigator.gpu is undefined): it is too old, WebGPU is switched off, or it is not supported on this platform yet.'
      : `This page is not a secure context (${location.origin}), and browsers expose WebGPU only to secure contexts: open it over https or on http://127.0.0.1 / http://localhost.`;
    noWebGpu(reason, 'navigator.gpu is undefined');
    await gallery;
    return;
  }
  try {
    app.device = await Device.create();
  } catch (e) {
    const msg = (e as Error).message;
    noWebGpu(
      e instanceof NoAdapterError
        ? 'This browser has WebGPU but offered no adapter: the GPU may be blocklisted, or hardware acceleration is off (chrome://settings/system) — or, on Linux, Vulkan is not enabled.'
        : `Creating a WebGPU device failed: ${msg.split('\n')[0]}`,
      msg,
    );
    await gallery;
    return;
  }
  hook.state.adapter = app.device.adapter;
  hook.state.phase = 'ready';
  adapterPill();
  timingAdapterReady();
  benchAdapterReady();
  if (isCpuAdapter(app.device.adapter)) {
    const note = $('adapter-note');
    note.hidden = false;
    note.textContent = `Software adapter (${app.device.adapter.architecture}): everything works, but a forward pass takes seconds; keep sample and iteration counts small.`;
  }
  app.device.runtime.device.lost.then((info) => {
    if (info.reason === 'destroyed') return;
    hook.state.phase = 'error';
    hook.errors.push(`GPU device lost: ${info.message}`);
    toast(`The GPU device was lost (${info.message}). Reload the page.`, 'error');
    $('adapter-pill').className = 'pill bad';
  });
  setInterval(memoryFooter, 1000);
  await Promise.all([gallery, loadServerWeights()]);
  if (!app.image && samples.length && !isBusy()) await useSample(samples[0]);
}

// A few entry points for scripted use and the e2e tests (the UI is the primary way in).
Object.assign(hook, {
  showView,
  runSaliency: async (method?: 'vanilla' | 'smoothgrad' | 'integrated-gradients' | 'gradcam') => {
    if (method) setSaliencyMethod(method);
    await runSaliency();
  },
  runFooling,
  runClassViz,
  runTrace,
});

start().catch((e) => {
  hook.state.phase = 'error';
  hook.errors.push(String((e as Error).message ?? e));
  console.error(e);
  toast(`gradsight: ${(e as Error).message}`, 'error');
});
