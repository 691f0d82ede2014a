// The gradsight page: WebGPU adapter, weights, image choice, and the views (predict, saliency, fooling, class
// visualization, gradient trace, timing), all on the same engine as the CLI. Entry point of dist/web/app.js.
import { Device, NoAdapterError } from '../core.js';
import { isCpuAdapter } from '../gpu/adapter.js';
import { $, fmtBytes, toast } from './dom.js';
import { canvasStats } from './draw.js';
import { initImages, loadGallery, samples, useFile, useSample } from './images.js';
import { initPredict } from './predict.js';
import { initSaliency, runSaliency, setSaliencyMethod } from './saliency.js';
import { initCompare, runCompare } from './compare.js';
import { initSettings } from './attrib.js';
import { initFooling, runFooling } from './fooling.js';
import { initClassViz, runClassViz } from './classviz.js';
import { exploreLayer, initTrace, runTrace } from './trace.js';
import { initTiming, timingAdapterReady } from './timing.js';
import { initBench, benchAdapterReady } from './bench.js';
import { app, hook, initBusy, isBusy } from './state.js';
import { initWeights, isWeightsFile, loadServerWeights, loadWeightsFile } from './weights.js';

/** The views, from the tab buttons (a tab added to index.html joins in). */
function views(): string[] {
  return [...document.querySelectorAll<HTMLElement>('.tabs [role="tab"]')].map((b) => b.dataset.view!);
}

function showView(v: string, focus = false): void {
  if (!views().includes(v)) v = 'predict';
  hook.state.view = v;
  for (const b of document.querySelectorAll<HTMLElement>('.tabs [role="tab"]')) {
    const on = b.dataset.view === v;
    b.classList.toggle('active', on);
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;
    if (on && focus) b.focus();
  }
  for (const s of document.querySelectorAll<HTMLElement>('.view')) s.classList.toggle('active', s.id === `view-${v}`);
  if (location.hash !== `#${v}`) history.replaceState(null, '', `#${v}`);
}

/** Tabs as the ARIA tabs pattern: one tab stop; arrow keys, Home and End move between tabs and show them. */
function initTabs(): void {
  const tabs = (): HTMLElement[] => [...document.querySelectorAll<HTMLElement>('.tabs [role="tab"]')];
  const list = document.querySelector<HTMLElement>('.tabs')!;
  list.addEventListener('click', (e) => {
    const b = (e.target as HTMLElement).closest<HTMLElement>('[role="tab"]');
    if (b) showView(b.dataset.view!);
  });
  list.addEventListener('keydown', (e) => {
    const all = tabs();
    const i = all.indexOf(document.activeElement as HTMLElement);
    if (i < 0) return;
    let j = -1;
    if (e.key === 'ArrowRight') j = (i + 1) % all.length;
    else if (e.key === 'ArrowLeft') j = (i - 1 + all.length) % all.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = all.length - 1;
    if (j < 0) return;
    e.preventDefault();
    showView(all[j].dataset.view!, true);
  });
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

/** Why the model cannot run here: one title, one reason, the same words in the header pill and the model card. */
interface NoGpu {
  title: string;
  reason: string;
  pill: string;
}

function noWebGpu(why: NoGpu, detail: string): void {
  hook.state.phase = 'no-webgpu';
  hook.state.noWebGpuReason = `${why.title}: ${why.reason}`;
  $('nogpu').hidden = false;
  $('nogpu-title').textContent = why.title;
  $('nogpu-reason').textContent = why.reason;
  $('nogpu-detail').textContent = detail;
  $('app').classList.add('disabled');
  $('app').setAttribute('aria-hidden', 'true');
  $('app').setAttribute('inert', '');
  const p = $('adapter-pill');
  p.textContent = `WebGPU: ${why.pill}`;
  p.title = why.title;
  p.className = 'pill bad';
  $('weights-pill').textContent = 'weights: —';
  $('weights-pill').className = 'pill bad';
  $('weights-status').textContent = `${why.title}: the model cannot run.`;
}

function memoryFooter(): void {
  if (!app.device) return;
  const m = app.device.memory();
  $('foot-mem').textContent = ` · GPU memory: ${fmtBytes(m.liveBytes)} live in ${m.liveTensors} tensors, ${fmtBytes(m.allocatedBytes)} allocated (peak ${fmtBytes(m.peakBytes)})`;
}

async function start(): Promise<void> {
  initBench(); // adds its tab: before the tabs are wired
  initTabs();
  initBusy();
  initImages();
  initWeights();
  initPredict();
  initSettings();
  initSaliency();
  initCompare();
  initFooling();
  initClassViz();
  initTrace();
  initTiming();
  initDrop();
  $('sal-run').classList.add('run-guard');
  $('cmp-run').classList.add('run-guard');
  $('fool-run').classList.add('run-guard');
  $('cv-run').classList.add('run-guard');
  $('trace-run').classList.add('run-guard');
  hook.canvasStats = (id: string) => canvasStats($<HTMLCanvasElement>(id));

  const gallery = loadGallery();
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) {
    noWebGpu(
      window.isSecureContext
        ? { title: 'This browser exposes no WebGPU', pill: 'not in this browser', reason: 'navigator.gpu is undefined: the browser is too old, WebGPU is switched off, or it is not supported on this platform yet. The browsers and flags below have it.' }
        : { title: 'This page is not a secure context', pill: 'needs a secure context', reason: `Browsers expose WebGPU only to secure contexts, and ${location.origin} is not one: open the page over https or on http://127.0.0.1 / http://localhost.` },
      'navigator.gpu is undefined',
    );
    await gallery;
    return;
  }
  try {
    app.device = await Device.create();
  } catch (e) {
    const msg = (e as Error).message;
    noWebGpu(
      e instanceof NoAdapterError
        ? { title: 'WebGPU found no usable GPU adapter', pill: 'no adapter', reason: 'This browser has WebGPU (navigator.gpu exists), but requestAdapter() returned none: the GPU may be blocklisted, or hardware acceleration is off (chrome://settings/system) — or, on Linux, Vulkan is not enabled.' }
        : { title: 'Creating a WebGPU device failed', pill: 'device failed', reason: msg.split('\n')[0] },
      msg,
    );
    await gallery;
    return;
  }
  hook.state.adapter = app.device.adapter;
  hook.state.phase = 'ready';
  initSettings(); // defaults for this adapter (fewer samples on a software one)
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
  runCompare,
  runFooling,
  runClassViz,
  runTrace,
  exploreLayer,
});

start().catch((e) => {
  hook.state.phase = 'error';
  hook.errors.push(String((e as Error).message ?? e));
  console.error(e);
  toast(`gradsight: ${(e as Error).message}`, 'error');
});
