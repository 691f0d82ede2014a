// What the Saliency and Compare views share: the methods' settings (the CLI's saliency options, read from
// the Saliency tab), one method run through the library's attribution(), and drawing a result in a sign mode.
import { isCpuAdapter, keep } from '../core.js';
import { LAYER_NAMES } from '../nn/squeezenet.js';
import { attribution, SALIENCY_DEFAULTS, type SaliencyMethod, type SaliencyOptions } from '../viz/saliency.js';
import { $, h } from './dom.js';
import { channelSum, drawHeat, drawSigned, signLegend, type SignMode } from './draw.js';
import { app, type CurrentImage } from './state.js';

export const LABELS: Record<SaliencyMethod, string> = {
  vanilla: 'Vanilla gradient',
  smoothgrad: 'SmoothGrad',
  'integrated-gradients': 'Integrated gradients',
  gradcam: 'Grad-CAM',
};

export const METHODS: SaliencyMethod[] = ['vanilla', 'smoothgrad', 'integrated-gradients', 'gradcam'];

export interface Settings {
  sgSamples: number;
  noise: number;
  seed: number;
  igSteps: number;
  baseline: 'zeros' | 'black' | 'blur';
  rule: 'riemann' | 'trapezoid';
  layer: string;
}

export interface Computed {
  method: SaliencyMethod;
  cls: number;
  imageId: number;
  /** |·| max over channels (Grad-CAM: ReLU(cam)), [H, W]. */
  maps: Float32Array;
  /** The signed attribution [C, H, W] (C = 3; Grad-CAM 1) and its channel sum [H, W]. */
  signed: Float32Array;
  signedShape: [number, number, number, number];
  summed: Float32Array;
  h: number;
  w: number;
  ms: number;
  /** The settings this method used (CLI option names). */
  settings: Record<string, string | number>;
}

function num(id: string, lo: number, fallback: number, integer = false): number {
  const v = Number($<HTMLInputElement>(id).value);
  if (!Number.isFinite(v) || v < lo) return fallback;
  return integer ? Math.round(v) : v;
}

export function readSettings(): Settings {
  return {
    sgSamples: Math.min(500, num('sg-samples', 1, 1, true)),
    noise: num('sg-noise', 0, SALIENCY_DEFAULTS.noise),
    seed: num('sg-seed', 0, 0, true),
    igSteps: Math.min(500, num('ig-steps', 1, 1, true)),
    baseline: $<HTMLSelectElement>('ig-baseline').value as Settings['baseline'],
    rule: $<HTMLSelectElement>('ig-rule').value as Settings['rule'],
    layer: $<HTMLSelectElement>('cam-layer').value,
  };
}

/** The settings a method uses, under the CLI's option names. */
export function methodSettings(m: SaliencyMethod, s: Settings): Record<string, string | number> {
  if (m === 'smoothgrad') return { samples: s.sgSamples, noise: s.noise, seed: s.seed };
  if (m === 'integrated-gradients') return { samples: s.igSteps, baseline: s.baseline, rule: s.rule };
  if (m === 'gradcam') return { layer: s.layer };
  return {};
}

export function settingsText(m: SaliencyMethod, st: Record<string, string | number>): string {
  if (m === 'smoothgrad') return `${st.samples} samples, noise ${st.noise}, seed ${st.seed}`;
  if (m === 'integrated-gradients') return `${st.samples} steps, ${st.baseline} baseline, ${st.rule}`;
  if (m === 'gradcam') return `layer ${st.layer}`;
  return 'one backward pass';
}

function options(m: SaliencyMethod, s: Settings): SaliencyOptions {
  if (m === 'smoothgrad') return { method: m, samples: s.sgSamples, noise: s.noise, seed: s.seed };
  if (m === 'integrated-gradients') return { method: m, samples: s.igSteps, baseline: s.baseline, rule: s.rule };
  if (m === 'gradcam') return { method: m, layer: s.layer };
  return { method: m };
}

/** One method on the current image (inside a runJob). */
export async function computeOne(img: CurrentImage, m: SaliencyMethod, cls: number, s: Settings, onProgress?: (done: number, total: number) => void): Promise<Computed> {
  const model = app.model!, d = app.device!;
  const t0 = performance.now();
  const x = keep(d.tensor(img.chw, [1, 3, 224, 224]));
  try {
    const r = await attribution(model, x, [cls], { ...options(m, s), onProgress });
    const [, hh, ww] = r.shape;
    const c = r.signedShape[1];
    return {
      method: m, cls, imageId: img.id, maps: r.maps, signed: r.signed, signedShape: r.signedShape, summed: channelSum(r.signed, c, hh * ww),
      h: hh, w: ww, ms: performance.now() - t0, settings: methodSettings(m, s),
    };
  } finally {
    x.dispose();
  }
}

/** Draw a result on an overlay canvas in a sign mode. */
export function drawAttribution(canvas: HTMLCanvasElement, c: Computed, mode: SignMode, opts: { transparent?: boolean } = {}): void {
  if (mode === 'abs') drawHeat(canvas, c.maps, c.h, c.w, opts);
  else drawSigned(canvas, c.summed, c.h, c.w, mode, opts);
}

export function setLegend(root: HTMLElement, mode: SignMode): void {
  const l = signLegend(mode);
  (root.querySelector('.ramp') as HTMLElement).style.background = l.ramp;
  root.querySelector('.lo')!.textContent = l.lo;
  root.querySelector('.hi')!.textContent = l.hi;
}

/** What a sign mode shows, in words. */
export function signText(mode: SignMode, m: SaliencyMethod): string {
  const what = m === 'gradcam' ? 'the class activation map before its ReLU' : m === 'integrated-gradients' ? '(x − baseline) ⊙ mean gradient, summed over channels' : 'the gradient summed over channels';
  if (mode === 'abs') return m === 'gradcam' ? 'ReLU(cam), upsampled; colors scaled to the 99th percentile' : '|attribution| max over channels; colors scaled to the 99th percentile';
  if (mode === 'positive') return `where ${what} is positive (raises the score)`;
  if (mode === 'negative') return `where ${what} is negative (lowers the score)`;
  return `${what}: red raises the score, blue lowers it`;
}

/** A segmented control of sign modes. */
export function initSign(root: HTMLElement, onChange: (m: SignMode) => void): void {
  for (const b of root.querySelectorAll<HTMLButtonElement>('button')) {
    b.addEventListener('click', () => {
      for (const o of root.querySelectorAll<HTMLButtonElement>('button')) {
        o.classList.toggle('active', o === b);
        o.setAttribute('aria-pressed', String(o === b));
      }
      onChange(b.dataset.sign as SignMode);
    });
  }
}

/** Fill the settings with the CLI's defaults (SALIENCY_DEFAULTS); fewer samples and steps on a software adapter, which is slow. */
export function initSettings(): void {
  const D = SALIENCY_DEFAULTS;
  const sel = $<HTMLSelectElement>('cam-layer');
  const spatial = LAYER_NAMES.filter((n) => n.startsWith('features.'));
  sel.replaceChildren(...spatial.map((n) => h('option', { value: n, text: n === D.layer ? `${n} (default)` : n })));
  sel.value = D.layer;
  const soft = app.device ? isCpuAdapter(app.device.adapter) : false;
  $<HTMLInputElement>('sg-samples').value = String(soft ? 8 : D.smoothgradSamples);
  $<HTMLInputElement>('ig-steps').value = String(soft ? 8 : D.igSteps);
  $<HTMLInputElement>('sg-noise').value = String(D.noise);
  $<HTMLInputElement>('sg-seed').value = String(D.seed);
  $<HTMLSelectElement>('ig-baseline').value = D.baseline;
  $<HTMLSelectElement>('ig-rule').value = D.rule;
  for (const [id, v] of [['sg-samples', D.smoothgradSamples], ['ig-steps', D.igSteps]] as const) {
    $(id).closest('label')!.title = `--samples (CLI default ${v}${soft ? '; 8 here: this adapter runs on the CPU' : ''})`;
  }
  $('sg-samples').dispatchEvent(new Event('change')); // views that show the settings redraw them
}
