// `gradsight serve`'s server (src/cli/server.ts), in process on 127.0.0.1 with a port of its own, over a
// temporary root (a built page stub, sample images, a symlink leading out, a large file to abort): it answers
// only to its loopback Host names, serves nothing outside its folders by any path or symlink, and keeps a flat
// descriptor count under 200 parallel clients and 1000 aborted downloads (issue 12).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type Served } from '../../src/cli/server.js';

let root = '';
let outside = '';
let served: Served;
const BIG = 8 * 2 ** 20;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gradsight-serve-'));
  outside = mkdtempSync(join(tmpdir(), 'gradsight-outside-'));
  mkdirSync(join(root, 'dist', 'web'), { recursive: true });
  writeFileSync(join(root, 'dist', 'web', 'index.html'), '<!doctype html><title>stub</title>');
  writeFileSync(join(root, 'dist', 'web', 'app.js'), 'console.log(1);');
  mkdirSync(join(root, 'samples'));
  writeFileSync(join(root, 'samples', 'a.png'), 'not really a png, served as bytes');
  writeFileSync(join(root, 'samples', 'big.png'), new Uint8Array(BIG).fill(7));
  writeFileSync(join(outside, 'secret.png'), 'outside the served folders');
  symlinkSync(join(outside, 'secret.png'), join(root, 'samples', 'escape.png'));
  symlinkSync(outside, join(root, 'dist', 'web', 'linked'));
  symlinkSync(join(root, 'samples', 'a.png'), join(root, 'samples', 'inside.png')); // a link that stays inside
  served = await startServer({ root, port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await served?.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

interface Reply {
  status: number;
  body: string;
}

function get(path: string, host?: string): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port: served.port, path, headers: { host: host ?? `127.0.0.1:${served.port}`, connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (d: string) => (body += d));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** Start a download of `path`, and abort it once the first bytes arrive. */
function aborted(path: string): Promise<void> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port: served.port, path, headers: { host: `127.0.0.1:${served.port}` } }, (res) => {
      res.once('data', () => {
        req.destroy();
        done();
      });
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? done() : fail(e)));
    req.end();
  });
}

const fds = () => readdirSync('/proc/self/fd').length;

/** Wait until the descriptor count is at most `limit` (the server closes streams asynchronously), up to 5 s. */
async function settle(limit: number): Promise<number> {
  for (let i = 0; i < 50 && fds() > limit; i++) await new Promise((r) => setTimeout(r, 100));
  return fds();
}

describe('gradsight serve', () => {
  it('answers only to Host 127.0.0.1, localhost or [::1] with its port (DNS rebinding gets 421)', async () => {
    const p = served.port;
    for (const h of [`127.0.0.1:${p}`, `localhost:${p}`, `[::1]:${p}`, `LOCALHOST:${p}`]) expect((await get('/', h)).status, h).toBe(200);
    for (const h of ['evil.example', `evil.example:${p}`, `127.0.0.1:${p + 1}`, `localhost.evil.example:${p}`, '127.0.0.1', `1.2.3.4:${p}`]) {
      const r = await get('/classes.json', h);
      expect(r.status, `Host: ${h}`).toBe(421);
      expect(r.body).toMatch(/^misdirected request: this server answers only to 127\.0\.0\.1:\d+, localhost:\d+, \[::1\]:\d+/);
    }
  });

  it('serves nothing outside its folders: no traversal, no symlink out; a symlink that stays inside works', async () => {
    expect((await get('/samples/a.png')).status).toBe(200);
    expect((await get('/samples/inside.png')).status).toBe(200);
    for (const path of ['/samples/escape.png', '/linked/secret.png', '/samples/..%2f..%2fetc%2fpasswd', '/samples/%2e%2e/%2e%2e/etc/passwd', '/..%2F..%2Fetc%2Fpasswd']) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('outside the served folders');
    }
  });

  it('stays up under 200 parallel clients and 1000 aborted downloads, with a flat descriptor count', async () => {
    const base = fds();
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => get(i % 2 ? '/' : '/samples/a.png')));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(200);
    for (let round = 0; round < 20; round++) await Promise.all(Array.from({ length: 50 }, () => aborted('/samples/big.png')));
    const after = await settle(base + 10);
    expect(after - base, `descriptors: ${base} before, ${after} after 1000 aborted downloads`).toBeLessThanOrEqual(10);
    const r = await get('/samples/big.png');
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(BIG);
  }, 120_000);
});
