// The conv tile cache of `gradsight tune` (src/cli/commands/tune.ts): the tiles the autotuner chose, in a JSON
// cache keyed by adapter; every command that opens a device applies the remembered tiles at start-up
// (loadTuning). Cache: $GRADSIGHT_CACHE/conv-tuning.json, else ~/.cache/gradsight/conv-tuning.json.
// GRADSIGHT_TUNING=off ignores the cache (the built-in defaults run).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { applyConvTiles, type ConvTile, type Device, type TileName } from '../core.js';

export function tuningCachePath(): string {
  const dir = process.env.GRADSIGHT_CACHE || join(homedir(), '.cache', 'gradsight');
  return join(dir, 'conv-tuning.json');
}

export interface CacheEntry {
  date: string;
  tiles: Partial<Record<TileName, ConvTile>>;
}

export function adapterKey(d: Device): string {
  const a = d.adapter;
  return [a.vendor, a.architecture, a.device, a.description].join(' | ');
}

export function readCache(path: string): Record<string, CacheEntry> {
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
