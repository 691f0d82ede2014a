// Loading the model weights: streamed from the server's /weights with a progress bar, or a file the user picks
// or drops, parsed by the same pure-TypeScript importer as the CLI (.pth zip/legacy, .onnx, .safetensors).
import { importSqueezeNet } from '../weights/index.js';
import { SqueezeNet } from '../nn/squeezenet.js';
import { $, ProgressBar, fmtBytes, fmtMs, toast, yieldToBrowser } from './dom.js';
import { app, hook, isBusy, setModel } from './state.js';

const WEIGHT_EXT = /\.(pth|pt|onnx|safetensors)$/i;

export function isWeightsFile(name: string): boolean {
  return WEIGHT_EXT.test(name);
}

function pill(text: string, cls: 'ok' | 'pending' | 'bad'): void {
  const p = $('weights-pill');
  p.textContent = text;
  p.className = `pill ${cls}`;
  p.title = text;
}

function status(text: string): void {
  $('weights-status').textContent = text;
}

/** Read a byte stream with progress (total may be unknown). */
async function readAll(body: ReadableStream<Uint8Array>, total: number, onProgress: (done: number) => void): Promise<Uint8Array> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let done = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    parts.push(r.value);
    done += r.value.length;
    onProgress(done);
  }
  if (total > 0 && done !== total) throw new Error(`download ended after ${done} of ${total} bytes`);
  const out = new Uint8Array(done);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Parse, validate and upload; on error the previous model (if any) stays. */
async function install(bytes: Uint8Array, name: string, bar: ProgressBar): Promise<void> {
  bar.set(1, `parsing ${name}…`);
  await yieldToBrowser();
  const t0 = performance.now();
  const r = importSqueezeNet(bytes, name);
  const t1 = performance.now();
  bar.set(1, 'uploading to the GPU…');
  await yieldToBrowser();
  const model = SqueezeNet.fromStateDict(app.device!, r.dict);
  await app.device!.sync();
  const t2 = performance.now();
  setModel(model);
  hook.state.weights = 'ready';
  hook.state.weightsName = name;
  hook.state.weightsError = null;
  bar.hide();
  pill(`weights: ${name}`, 'ok');
  status(`${name} (${r.format}, ${fmtBytes(bytes.length)}): ${model.parameterCount.toLocaleString('en-US')} parameters; parsed in ${fmtMs(t1 - t0)}, uploaded in ${fmtMs(t2 - t1)}.${r.extras.length ? ` ${r.extras.length} extra tensor(s) ignored.` : ''}`);
}

function fail(msg: string, bar: ProgressBar): void {
  bar.hide();
  hook.errors.push(msg);
  if (!app.model) {
    hook.state.weights = 'error';
    pill('weights: none', 'bad');
  } else hook.state.weights = 'ready';
  hook.state.weightsError = msg;
  status(msg);
  toast(msg, 'error');
}

/** Fetch /weights from the server (when it has a file). */
export async function loadServerWeights(): Promise<void> {
  // 'loading' from the start: while the server is asked whether it has weights, 'none' would be a wrong answer.
  hook.state.weights = 'loading';
  const bar = new ProgressBar($('weights-progress'));
  let info: { weights: { name: string; size: number; source: string } | null; weightsError: string | null };
  try {
    const res = await fetch('info.json');
    info = await res.json();
  } catch (e) {
    info = { weights: null, weightsError: `the server did not answer (${(e as Error).message})` };
  }
  if (!info.weights) {
    hook.state.weights = 'none';
    pill('weights: none', 'bad');
    status('The server has no weights. Load a .pth / .onnx / .safetensors file from disk, or restart with `gradsight serve --weights <file>` (or run `gradsight weights download` first).');
    $('weights-status').title = info.weightsError ?? '';
    return;
  }
  pill('weights: downloading…', 'pending');
  const name = info.weights.name;
  try {
    const res = await fetch('weights');
    if (!res.ok || !res.body) throw new Error(`GET /weights: HTTP ${res.status} ${(await res.text()).trim()}`);
    const total = Number(res.headers.get('content-length') ?? 0);
    const bytes = await readAll(res.body, total, (done) => bar.set(total ? done / total : 0, `downloading ${name}: ${fmtBytes(done)}${total ? ` of ${fmtBytes(total)}` : ''}`));
    await install(bytes, name, bar);
  } catch (e) {
    fail(`weights ${name}: ${(e as Error).message}`, bar);
  }
}

/** A weights file from the user's disk. */
export async function loadWeightsFile(f: File): Promise<void> {
  if (!app.device) {
    toast('WebGPU is not available: the model cannot run here.', 'error');
    return;
  }
  if (isBusy()) {
    toast(`Busy with ${hook.state.busy}; load the weights when it is done.`);
    return;
  }
  const bar = new ProgressBar($('weights-progress'));
  hook.state.weights = 'loading';
  pill(`weights: reading ${f.name}…`, 'pending');
  try {
    const bytes = await readAll(f.stream(), f.size, (done) => bar.set(f.size ? done / f.size : 0, `reading ${f.name}: ${fmtBytes(done)} of ${fmtBytes(f.size)}`));
    await install(bytes, f.name, bar);
  } catch (e) {
    fail(`${f.name}: ${(e as Error).message}`, bar);
  }
}

export function initWeights(): void {
  const input = $<HTMLInputElement>('weights-file');
  $('weights-open').addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    const f = input.files?.[0];
    if (f) void loadWeightsFile(f);
    input.value = '';
  });
}
