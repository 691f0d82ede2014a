// Small DOM helpers for the page: element lookup, creation, toasts, progress bars.

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page: element #${id} is missing from index.html`);
  return e as T;
}

type Attrs = Record<string, string | number | boolean | undefined | null>;

/** Create an element with attributes (class, data-*, …) and children (strings become text). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = String(v);
    else if (k === 'text') e.textContent = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

export function numberInput(id: string): number {
  const v = Number($<HTMLInputElement>(id).value);
  return v;
}

let toastTimer: ReturnType<typeof setTimeout> | null = null;

/** A message in the corner for a few seconds (errors stay longer). */
export function toast(msg: string, kind: 'info' | 'error' = 'info'): void {
  const t = $('toast');
  t.textContent = msg;
  t.className = `toast${kind === 'error' ? ' error' : ''}`;
  t.hidden = false;
  if (toastTimer) clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), kind === 'error' ? 12000 : 4000);
}

/** A progress bar element (.progress > .bar + .label). */
export class ProgressBar {
  private readonly bar: HTMLElement;
  private readonly label: HTMLElement;
  constructor(private readonly root: HTMLElement) {
    this.bar = root.querySelector('.bar') as HTMLElement;
    this.label = root.querySelector('.label') as HTMLElement;
  }
  set(frac: number, text: string): void {
    this.root.hidden = false;
    this.root.classList.remove('indeterminate');
    this.bar.style.width = `${Math.max(0, Math.min(1, frac)) * 100}%`;
    this.label.textContent = text;
  }
  /** Work of unknown length (e.g. the GPU running what was recorded): an animated bar. */
  busy(text: string): void {
    this.root.hidden = false;
    this.root.classList.add('indeterminate');
    this.label.textContent = text;
  }
  hide(): void {
    this.root.hidden = true;
  }
}

export function fmtMs(ms: number): string {
  if (ms >= 10000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(3)} ms`;
}

export function fmtBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}

/** Yield to the event loop so the browser can paint and handle input between steps. */
export function yieldToBrowser(): Promise<void> {
  return new Promise((ok) => setTimeout(ok, 0));
}
