// Saving results from the page: PNG from canvases, float32 .npy (the CLI's --raw format), JSON and CSV.
import { writeNpy } from '../io/npy.js';
import { hook } from './state.js';

/** Offer bytes as a file download (an object URL clicked through a temporary link). */
export function downloadBytes(bytes: Uint8Array | string, filename: string, type: string): void {
  const blob = new Blob([bytes as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
  hook.downloads.push(filename);
}

/** A canvas as a PNG file. */
export function downloadPng(canvas: HTMLCanvasElement, filename: string): void {
  canvas.toBlob((blob) => {
    if (!blob) return;
    void blob.arrayBuffer().then((b) => downloadBytes(new Uint8Array(b), filename, 'image/png'));
  }, 'image/png');
}

export function downloadNpy(data: Float32Array, shape: readonly number[], filename: string): void {
  downloadBytes(writeNpy(data, shape), filename, 'application/octet-stream');
}

export function downloadJson(value: unknown, filename: string): void {
  downloadBytes(`${JSON.stringify(value, null, 2)}\n`, filename, 'application/json');
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows of objects as CSV with the given columns (header line first). */
export function toCsv(columns: string[], rows: Record<string, unknown>[]): string {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
}

export function downloadCsv(columns: string[], rows: Record<string, unknown>[], filename: string): void {
  downloadBytes(toCsv(columns, rows), filename, 'text/csv');
}

/** A file-name-safe slug: "tiger shark, Galeocerdo cuvieri" → "tiger_shark". */
export function slug(s: string): string {
  return (s.split(',')[0].trim().replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'x').slice(0, 40);
}

/** The current image's name without its extension, for file names. */
export function stem(name: string): string {
  return slug(name.replace(/\.[A-Za-z0-9]+$/, ''));
}

/** Enable a download button and (re)bind its action. */
export function bindDownload(id: string, action: (() => void) | null): void {
  const b = document.getElementById(id) as HTMLButtonElement | null;
  if (!b) return;
  b.disabled = !action;
  b.onclick = action;
}
