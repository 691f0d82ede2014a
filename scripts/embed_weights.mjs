#!/usr/bin/env node
// Converts ../shared/weights/squeezenet1_1.pth (or the file given) into the default weights embedded in the
// repository, weights/squeezenet1_1.safetensors (fp32, with the source's name, format and SHA-256 in
// __metadata__), through the same importer every user's `gradsight import` runs. Prints the checksums that
// weights/README.md records. Run after `npm run build`:  node scripts/embed_weights.mjs [file.pth]
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = resolve(process.argv[2] ?? join(root, '..', 'shared', 'weights', 'squeezenet1_1.pth'));
const out = join(root, 'weights', 'squeezenet1_1.safetensors');
const r = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'import', src, '--out', out], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
const sha = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');
console.log(`source   ${src}\n  sha256 ${sha(src)}\nembedded ${out}\n  sha256 ${sha(out)}\n  bytes  ${readFileSync(out).length}`);
