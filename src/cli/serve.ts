// `gradsight serve`: a small static server for the interactive page (dist/web/), the sample images from
// samples/, the weights file the CLI would use, and the ImageNet class names. Bound to 127.0.0.1 by
// default: browsers expose WebGPU only in secure contexts, and http://127.0.0.1 / localhost count as one.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { IMAGENET_CLASSES } from '../nn/classes.js';
import { resolveWeights } from '../weights/node.js';
import { parse, int, UsageError } from './args.js';
import { tfjsVendorBundle } from './vendor.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

export interface SampleEntry {
  file: string;
  url: string;
  label: number | null;
  name: string | null;
}

/** The sample images of a folder (sorted), with labels from labels.json beside them when present. */
export function listSamples(dir: string): SampleEntry[] {
  if (!existsSync(dir)) return [];
  const labels = new Map<string, number>();
  const labelsPath = join(dir, 'labels.json');
  if (existsSync(labelsPath)) {
    try {
      const j = JSON.parse(readFileSync(labelsPath, 'utf8')) as { file: string; label: number }[];
      if (Array.isArray(j)) for (const e of j) if (e && typeof e.file === 'string' && Number.isInteger(e.label)) labels.set(e.file, e.label);
    } catch {
      /* not our labels file: no labels */
    }
  }
  return readdirSync(dir)
    .filter((f) => IMAGE_EXT.has(extname(f).toLowerCase()))
    .sort()
    .map((file) => {
      const label = labels.get(file) ?? null;
      return { file, url: `/samples/${encodeURIComponent(file)}`, label, name: label !== null ? IMAGENET_CLASSES[label] ?? null : null };
    });
}

/** `dir/rel` if it stays inside `dir` and is a file, else null (no path traversal). */
function fileInside(dir: string, rel: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const root = resolve(dir);
  const p = resolve(root, `.${sep}${decoded}`);
  if (p !== root && !p.startsWith(root + sep)) return null;
  try {
    return statSync(p).isFile() ? p : null;
  } catch {
    return null;
  }
}

function send(res: ServerResponse, status: number, body: string | Uint8Array, type: string, head: boolean, extra: Record<string, string | number> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { 'content-type': type, 'content-length': bytes.length, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...extra });
  res.end(head ? undefined : bytes);
}

function sendJson(res: ServerResponse, status: number, value: unknown, head: boolean): void {
  send(res, status, JSON.stringify(value), TYPES['.json'], head);
}

function sendFile(res: ServerResponse, path: string, head: boolean, extra: Record<string, string | number> = {}): void {
  const size = statSync(path).size;
  res.writeHead(200, {
    'content-type': TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    'content-length': size,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  if (head) {
    res.end();
    return;
  }
  const stream = createReadStream(path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

export interface ServeOptions {
  root: string;
  port: number;
  host: string;
  weightsFlag?: string;
}

export interface Served {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Start the server; resolves once it listens. */
export async function startServer(o: ServeOptions): Promise<Served> {
  const webDir = join(o.root, 'dist', 'web');
  if (!existsSync(join(webDir, 'index.html')) || !existsSync(join(webDir, 'app.js'))) {
    throw new UsageError(`gradsight serve: the page is not built (${join(webDir, 'index.html')} or app.js is missing): run npm run build`);
  }
  const samplesDir = resolve(o.root, 'samples');
  // Which weights: decided per request, so a file imported while the server runs is picked up; a --weights
  // flag naming a missing file is an error now.
  const weights = (): { path: string; source: string } | { error: string } => {
    try {
      return resolveWeights({ flag: o.weightsFlag, env: process.env, repoRoot: o.root });
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  const first = weights();
  if ('error' in first && o.weightsFlag) throw new UsageError(`gradsight serve: ${first.error}`);

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      send(res, 405, 'method not allowed\n', 'text/plain; charset=utf-8', false, { allow: 'GET, HEAD' });
      return;
    }
    const head = method === 'HEAD';
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      send(res, 400, 'bad request\n', 'text/plain; charset=utf-8', head);
      return;
    }
    if (path === '/' || path === '/index.html') {
      sendFile(res, join(webDir, 'index.html'), head);
      return;
    }
    if (path === '/classes.json') {
      sendJson(res, 200, IMAGENET_CLASSES, head);
      return;
    }
    if (path === '/info.json') {
      const w = weights();
      const samples = listSamples(samplesDir);
      sendJson(res, 200, {
        weights: 'error' in w ? null : { name: basename(w.path), size: statSync(w.path).size, source: w.source },
        weightsError: 'error' in w ? w.error : null,
        samples: samples.length,
      }, head);
      return;
    }
    if (path === '/weights') {
      const w = weights();
      if ('error' in w) {
        send(res, 404, `${w.error}\n`, 'text/plain; charset=utf-8', head);
        return;
      }
      sendFile(res, w.path, head, { 'content-type': 'application/octet-stream', 'x-weights-name': encodeURIComponent(basename(w.path)), 'x-weights-source': w.source });
      return;
    }
    if (path === '/samples/' || path === '/samples/index.json') {
      sendJson(res, 200, { available: existsSync(samplesDir), images: listSamples(samplesDir) }, head);
      return;
    }
    if (path.startsWith('/samples/')) {
      const rel = path.slice('/samples/'.length);
      const ext = extname(rel).toLowerCase();
      const file = IMAGE_EXT.has(ext) || rel === 'labels.json' ? fileInside(samplesDir, rel) : null;
      if (!file) send(res, 404, `no sample ${rel}\n`, 'text/plain; charset=utf-8', head);
      else sendFile(res, file, head);
      return;
    }
    if (path === '/vendor/tfjs.js') {
      // TensorFlow.js for the Bench view's side-by-side runs, bundled from node_modules (src/cli/vendor.ts).
      tfjsVendorBundle(o.root).then((p) => sendFile(res, p, head), (e: Error) => send(res, 404, `${e.message}\n`, 'text/plain; charset=utf-8', head));
      return;
    }
    const file = fileInside(webDir, path.slice(1));
    if (file) sendFile(res, file, head);
    else send(res, 404, `not found: ${path}\n`, 'text/plain; charset=utf-8', head);
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      if (!res.headersSent) send(res, 500, `${(e as Error).message}\n`, 'text/plain; charset=utf-8', false);
      else res.destroy();
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      fail(new UsageError(e.code === 'EADDRINUSE' ? `gradsight serve: port ${o.port} on ${o.host} is in use (try --port 0 for a free one)` : `gradsight serve: cannot listen on ${o.host}:${o.port}: ${e.message}`));
    });
    server.listen(o.port, o.host, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

/** `gradsight serve [--port 8080] [--weights <file>] [--host 127.0.0.1]`: runs until SIGINT or SIGTERM. */
export async function serveCommand(argv: string[], root: string): Promise<void> {
  const { values } = parse('serve', argv, { port: { type: 'string' }, weights: { type: 'string' }, host: { type: 'string' } });
  const port = int('serve', 'port', values.port, 8080, 0);
  if (port > 65535) throw new UsageError(`gradsight serve: --port expects 0..65535; got ${port}`);
  const host = typeof values.host === 'string' && values.host ? values.host : '127.0.0.1';
  const served = await startServer({ root, port, host, weightsFlag: typeof values.weights === 'string' ? values.weights : undefined });
  let w: string;
  try {
    const r = resolveWeights({ flag: typeof values.weights === 'string' ? values.weights : undefined, env: process.env, repoRoot: root });
    w = `weights: ${r.path} (${r.source})`;
  } catch (e) {
    w = `weights: none on the server (${(e as Error).message.split('\n')[0]}); the page can load a file from disk`;
  }
  const samples = listSamples(resolve(root, 'samples')).length;
  console.log(`gradsight serve: ${served.url}`);
  console.log(`  ${w}`);
  console.log(`  samples: ${samples ? `${samples} images from samples/` : 'none (the package has no samples/); pick or drop your own images'}`);
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    console.log('  note: browsers expose WebGPU only in secure contexts (https, or http on localhost/127.0.0.1): over plain http on another address the page will report that WebGPU is missing');
  }
  console.log('  Ctrl-C to stop');
  await new Promise<void>((ok) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      ok();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await served.close();
  console.log('gradsight serve: stopped');
}
