// The server behind `gradsight serve` (src/cli/commands/serve.ts): the interactive page (dist/web/), the sample
// images from samples/, the weights file the CLI would use, and the ImageNet class names. Bound to 127.0.0.1
// by default: browsers expose WebGPU only in secure contexts, and http://127.0.0.1 / localhost count as one.
// Hardened for a machine with a browser on it: it answers only requests whose Host is the loopback name it
// serves (so a DNS-rebinding page cannot read it), serves files only by their real path inside its folders
// (a symlink in samples/ cannot lead out), and destroys each file stream when the client goes away (no
// descriptor leak on aborted downloads).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream';
import { basename, extname, join, resolve, sep } from 'node:path';
import { isIP, type AddressInfo } from 'node:net';
import { IMAGENET_CLASSES } from '../nn/classes.js';
import { resolveWeights } from '../weights/node.js';
import { UsageError } from './args.js';
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

/**
 * The real path of `dir/rel` if it is a file whose real path (symlinks resolved) stays inside the real path of
 * `dir`, else null: no `..` traversal, and no symlink inside a served folder leading out of it.
 */
export function fileInside(dir: string, rel: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  try {
    const root = realpathSync(resolve(dir));
    const p = resolve(root, `.${sep}${decoded}`);
    if (p !== root && !p.startsWith(root + sep)) return null;
    const real = realpathSync(p);
    if (!real.startsWith(root + sep)) return null;
    return statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}

/**
 * The Host values this server answers to: 127.0.0.1, localhost and [::1] with its port (and the address it is
 * bound to, when that is an IP literal); anything else may be a DNS-rebinding page and gets 421.
 */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  if (isIP(host) === 4) names.push(host);
  if (isIP(host) === 6) names.push(`[${host.toLowerCase()}]`);
  const out = new Set(names.map((n) => `${n}:${port}`));
  if (port === 80) for (const n of names) out.add(n);
  return out;
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
  // pipeline destroys the file stream when the response closes early (client abort) or fails, and the
  // response when the file cannot be read: the descriptor is always released.
  pipeline(createReadStream(path), res, () => {});
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

  let hosts = new Set<string>();
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    if (!hosts.has(hostHeader)) {
      send(res, 421, `misdirected request: this server answers only to ${[...hosts].join(', ')} (Host: ${JSON.stringify(req.headers.host ?? '')})\n`, 'text/plain; charset=utf-8', req.method === 'HEAD');
      return;
    }
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
  hosts = allowedHosts(o.host, port);
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
