// Timing view: wall time of every job (and per iteration / sample), and per-kernel GPU time from timestamp
// queries where the adapter has them.
import { $, h, fmtMs } from './dom.js';
import { app, hook, onTiming, type TimingRecord } from './state.js';
import { downloadCsv, downloadJson } from './download.js';

let selected: number | null = null;

function renderKernels(rec: TimingRecord | undefined): void {
  const box = $('timing-kernels');
  $('kernels-title').textContent = rec ? `GPU kernels · ${rec.label}` : 'GPU kernels';
  if (!rec) {
    box.replaceChildren(h('p', { class: 'muted small', text: 'Select a step.' }));
    return;
  }
  if (!rec.kernels) {
    const why = !app.device?.runtime.hasTimestamps
      ? "This adapter has no 'timestamp-query' feature, so only wall time is measured."
      : 'Per-kernel timing was off for this step: tick the box above and run it again.';
    box.replaceChildren(h('p', { class: 'muted small', text: why }));
    return;
  }
  const max = rec.kernels[0]?.ms ?? 1;
  const dispatches = rec.kernels.reduce((s, k) => s + k.count, 0);
  const more = rec.kernels.length > 24 ? [h('p', { class: 'muted small', text: `… and ${rec.kernels.length - 24} more kernels` })] : [];
  box.replaceChildren(
    h('p', { class: 'muted small', text: `${dispatches} dispatches, ${fmtMs(rec.gpuMs ?? 0)} of GPU time in ${fmtMs(rec.ms)} wall time (timestamps at the start and end of each dispatch's compute pass).` }),
    ...rec.kernels.slice(0, 24).map((k) =>
      h('div', { class: 'k', title: `${k.name}: ${k.count} dispatches, ${k.ms.toFixed(3)} ms, ${(k.ms / k.count).toFixed(3)} ms each` },
        h('span', { class: 'n', text: k.name }),
        h('div', { class: 'b' }, h('div', { style: `width:${((k.ms / max) * 100).toFixed(1)}%` })),
        h('span', { class: 't', text: `${fmtMs(k.ms)} ×${k.count}` }),
      ),
    ),
    ...more,
  );
}

function render(): void {
  const body = $('timing-steps').querySelector('tbody')!;
  const recs = [...hook.timings].reverse();
  body.replaceChildren(
    ...recs.map((r) => {
      const tr = h('tr', { class: r.id === selected ? 'active' : '', 'data-id': r.id },
        h('td', { text: r.label }),
        h('td', { class: 'num', text: r.ms.toFixed(1) }),
        h('td', { class: 'num', text: r.perStepMs !== null ? `${r.perStepMs.toFixed(0)} ms/${r.stepUnit} ×${r.steps}` : '' }),
        h('td', { class: 'num', text: r.gpuMs !== null ? r.gpuMs.toFixed(1) : '—' }),
        h('td', { class: 'num', text: r.kernels ? String(r.kernels.reduce((s, k) => s + k.count, 0)) : '—' }),
        h('td', { class: 'muted', text: r.at.toLocaleTimeString([], { hour12: false }) }),
      );
      tr.tabIndex = 0;
      const pick = (): void => {
        selected = r.id;
        render();
        (document.querySelector(`#timing-steps tr[data-id="${r.id}"]`) as HTMLElement | null)?.focus();
      };
      tr.addEventListener('click', pick);
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          pick();
        }
      });
      return tr;
    }),
  );
  if (!recs.length) body.append(h('tr', {}, h('td', { class: 'muted', colspan: 6, text: 'Nothing has run yet.' })));
  renderKernels(hook.timings.find((r) => r.id === selected) ?? recs[0]);
}

export function initTiming(): void {
  const toggle = $<HTMLInputElement>('profile-toggle');
  toggle.addEventListener('change', () => {
    app.profiling = toggle.checked;
  });
  $('timing-clear').addEventListener('click', () => {
    hook.timings.length = 0;
    selected = null;
    render();
  });
  const records = (): Record<string, unknown>[] => hook.timings.map((r) => ({
    id: r.id, label: r.label, wall_ms: r.ms, steps: r.steps, step_unit: r.stepUnit, per_step_ms: r.perStepMs, gpu_ms: r.gpuMs,
    dispatches: r.kernels ? r.kernels.reduce((s, k) => s + k.count, 0) : null, at: r.at.toISOString(),
  }));
  $('timing-dl-json').addEventListener('click', () => downloadJson({ adapter: hook.state.adapter, steps: hook.timings.map((r) => ({ ...records().find((x) => x.id === r.id), kernels: r.kernels })) }, 'gradsight_timing.json'));
  $('timing-dl-csv').addEventListener('click', () => downloadCsv(['id', 'label', 'wall_ms', 'steps', 'step_unit', 'per_step_ms', 'gpu_ms', 'dispatches', 'at'], records(), 'gradsight_timing.csv'));
  onTiming(() => {
    selected = null;
    render();
  });
  render();
}

/** After the device is known: enable the per-kernel toggle when timestamps exist (on by default then). */
export function timingAdapterReady(): void {
  const toggle = $<HTMLInputElement>('profile-toggle');
  const has = !!app.device?.runtime.hasTimestamps;
  toggle.disabled = !has;
  toggle.checked = has;
  app.profiling = has;
  $('timing-note').textContent = has
    ? "Wall time of each step (GPU work awaited step by step) and, from WebGPU timestamp queries, the GPU time of every kernel. Browsers round timestamps (often to 0.1 ms) unless developer features are enabled."
    : "Wall time of each step. This adapter lacks 'timestamp-query', so per-kernel GPU time is not available.";
  render();
}
