// `gradsight tune`: run the conv tile autotuner (src/ops/conv_tune.ts) once for this adapter and remember the
// choice in a JSON cache keyed by adapter; every other command applies the remembered tiles at start-up
// (loadTuning). Cache: $GRADSIGHT_CACHE/conv-tuning.json, else ~/.cache/gradsight/conv-tuning.json.
// GRADSIGHT_TUNING=off ignores the cache (the built-in defaults run).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { applyConvTiles, autotuneConv, currentConvTiles, type ConvTile, type Device, type TileName } from '../core.js';
import { parse, int, UsageError } from './args.js';

export function tuningCachePath(): string {
  const dir = process.env.GRADSIGHT_CACHE || join(homedir(), '.cache', 'gradsight');
  return join(dir, 'conv-tuning.json');
}

interface CacheEntry {
  date: string;
  tiles: Partial<Record<TileName, ConvTile>>;
}

function adapterKey(d: Device): string {
  const a = d.adapter;
  return [a.vendor, a.architecture, a.device, a.description].join(' | ');
}

function readCache(path: string): Record<string, CacheEntry> {
  if (!existsSync(path)) return {};
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, CacheEntry>) : {};
  } catch (e) {
    throw new Error(`the tuning cache ${path} is not valid JSON (${(e as Error).message}); delete it or run 'gradsight tune' again`);
  }
}

/**
 * Applies the tiles remembered for this adapter, if any. Returns where the tiles come from ('defaults' or
 * the cache path with the tuning date).
 */
export function loadTuning(d: Device): string {
  if ((process.env.GRADSIGHT_TUNING ?? '').toLowerCase() === 'off') return 'defaults (GRADSIGHT_TUNING=off)';
  const path = tuningCachePath();
  let entry: CacheEntry | undefined;
  try {
    entry = readCache(path)[adapterKey(d)];
  } catch (e) {
    process.stderr.write(`gradsight: ${(e as Error).message}; using the default tiles\n`);
    return 'defaults (unreadable tuning cache)';
  }
  if (!entry) return 'defaults';
  try {
    applyConvTiles(d, entry.tiles);
  } catch (e) {
    process.stderr.write(`gradsight: ignoring the tuning cache entry for this adapter in ${path}: ${(e as Error).message}\n`);
    return 'defaults (invalid tuning cache entry)';
  }
  return `${path} (tuned ${entry.date})`;
}

export async function tuneCommand(argv: string[], getDevice: () => Promise<Device>): Promise<void> {
  const { values, positionals } = parse('tune', argv, { rounds: { type: 'string' }, json: { type: 'boolean' }, reset: { type: 'boolean' } });
  if (positionals.length) throw new UsageError(`gradsight tune: unexpected argument '${positionals[0]}'`);
  const rounds = int('tune', 'rounds', values.rounds, 5, 1);
  const d = await getDevice();
  const path = tuningCachePath();
  const cache = readCache(path);
  const key = adapterKey(d);
  if (values.reset) {
    delete cache[key];
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(cache, null, 2)}\n`);
    if (values.json) console.log(JSON.stringify({ adapter: key, cache: path, reset: true }));
    else console.log(`gradsight tune: forgot the tiles of ${key} in ${path}`);
    return;
  }
  const log = (m: string) => process.stderr.write(`${m}\n`);
  if (!values.json) log(`gradsight tune: timing conv tiles on ${key} (${rounds} rounds per kernel family)`);
  const results = await autotuneConv(d, {
    rounds,
    onProgress: (family, done, total) => { if (!values.json && done === total) log(`  ${family} done`); },
  });
  const tiles = currentConvTiles(d);
  cache[key] = { date: new Date().toISOString(), tiles };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(cache, null, 2)}\n`);
  if (values.json) {
    console.log(JSON.stringify({ adapter: key, cache: path, results }));
    return;
  }
  const fmt = (t: ConvTile) => `${t.tc}x${t.tp} wg ${t.wg}`;
  for (const r of results) {
    const cands = r.candidates.map((c) => `${fmt(c.tile)} ${c.medianMs.toFixed(1)} ms`).join(', ');
    console.log(`${r.family.padEnd(17)} ${fmt(r.before)} -> ${fmt(r.chosen)}   (${cands})`);
  }
  console.log(`tiles (channels x pixels per invocation) saved for this adapter in ${path}; every command uses them (GRADSIGHT_TUNING=off ignores them).`);
}
