// `gradsight tune`: run the conv tile autotuner (src/ops/conv_tune.ts) once for this adapter and remember the
// choice in the tuning cache (src/cli/tuning.ts), which every command applies at start-up.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { autotuneConv, currentConvTiles, type ConvTile } from '../../core.js';
import { LIMITS, int, parse, type Command } from '../args.js';
import { getDevice } from '../context.js';
import { adapterKey, readCache, tuningCachePath } from '../tuning.js';
import { JSON_OPTION } from './common.js';

const ROUNDS = 5;

export const tune: Command = {
  name: 'tune',
  summary: 'time conv tile candidates on this adapter and remember the fastest (every command uses them)',
  usage: '[options]',
  gpu: true,
  options: {
    rounds: { type: 'string', arg: '<n>', help: `timed rounds per kernel family (at most ${LIMITS.rounds})`, def: ROUNDS },
    reset: { type: 'boolean', help: "forget this adapter's tiles (the built-in defaults run again)", def: false },
    json: JSON_OPTION,
  },
  notes: ['Cache: $GRADSIGHT_CACHE/conv-tuning.json, else ~/.cache/gradsight/conv-tuning.json; GRADSIGHT_TUNING=off ignores it.'],
  async run(argv) {
    const { values } = parse('tune', argv, this.options);
    const rounds = int('tune', 'rounds', values.rounds, ROUNDS, 1, LIMITS.rounds);
    const d = await getDevice();
    const path = tuningCachePath();
    const cache = readCache(path);
    const key = adapterKey(d);
    if (values.reset) {
      delete cache[key];
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${JSON.stringify(cache, null, 2)}\n`);
      if (values.json) console.log(JSON.stringify({ command: 'tune', adapter: key, cache: path, reset: true }));
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
      console.log(JSON.stringify({ command: 'tune', adapter: key, cache: path, settings: { rounds }, results }));
      return;
    }
    const fmt = (t: ConvTile) => (t.gemm ? `gemm ${t.tc}x${t.tp}/wg` : `${t.tc}x${t.tp} wg ${t.wg}`);
    for (const r of results) {
      const cands = r.candidates.map((c) => `${fmt(c.tile)} ${c.medianMs.toFixed(1)} ms`).join(', ');
      console.log(`${r.family.padEnd(17)} ${fmt(r.before)} -> ${fmt(r.chosen)}   (${cands})`);
    }
    console.log(`tiles (channels x pixels per invocation) saved for this adapter in ${path}; every command uses them (GRADSIGHT_TUNING=off ignores them).`);
  },
};
