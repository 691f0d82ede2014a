// Conv tile autotuner: times candidate tiles of each conv kernel family on the adapter at hand, once, and
// keeps the fastest. Tiles change speed only (every tile sums in the same order), so a choice is safe to
// cache per adapter and reuse (the CLI keeps it in ~/.cache/gradsight/conv-tuning.json, see src/cli/commands/tune.ts).
//
// Each family is timed on SqueezeNet 1.1's own shapes at batch 1 (random data): a candidate's score is the
// median over `rounds` of the summed wall time of its shapes (each run recorded, submitted and awaited);
// candidates alternate within a round so that load drift on a shared machine hits all alike. A candidate
// replaces the current tile only when it is faster by more than `margin` (default 3%).
import { conv2d } from './conv.js';
import { tileTable, type ConvTile, type TileName } from './conv/tuning.js';
import { grad, noGrad, tidy, keep, dispose, type Device, type Tensor } from '../tensor/index.js';
import { randn } from './random.js';
import { checkGemmTile } from './conv_gemm.js';

/** [Cin, H, Cout, kernel, stride, padding] */
type Shape = [number, number, number, number, number, number];

/** SqueezeNet 1.1 convs (224×224 input) that exercise each kernel family. */
const SHAPES: Record<Exclude<TileName, 'backwardWeight'>, Shape[]> = {
  forward: [[16, 55, 64, 3, 1, 1], [32, 27, 128, 3, 1, 1], [64, 13, 256, 3, 1, 1]],
  forwardStrided: [[3, 224, 64, 3, 2, 0]],
  pointwise: [[128, 55, 16, 1, 1, 0], [16, 55, 64, 1, 1, 0], [384, 13, 64, 1, 1, 0], [512, 13, 1000, 1, 1, 0]],
  backwardInput: [[16, 55, 64, 3, 1, 1], [32, 27, 128, 3, 1, 1], [64, 13, 256, 3, 1, 1]],
  pointwiseBackward: [[128, 55, 16, 1, 1, 0], [16, 55, 64, 1, 1, 0], [512, 13, 1000, 1, 1, 0]],
};

/**
 * The implicit-GEMM tiles (workgroup memory, src/ops/conv_gemm.ts): 64 x 64 output tiles per workgroup that
 * shrink on small layers, and fixed 32 x 64 and 32 x 32 ones. Candidates of every family on every adapter.
 */
const GEMM: ConvTile[] = [
  { wg: 256, tc: 64, tp: 64, gemm: true },
  { wg: 128, tc: 32, tp: 64, gemm: true },
  { wg: 64, tc: 32, tp: 32, gemm: true },
];

/** Candidate tiles per family (the current tile is always a candidate too). */
const CANDIDATES: Record<Exclude<TileName, 'backwardWeight'>, ConvTile[]> = {
  forward: [{ wg: 64, tc: 32, tp: 8 }, { wg: 64, tc: 32, tp: 4 }, { wg: 64, tc: 16, tp: 8 }, { wg: 64, tc: 16, tp: 4 }, ...GEMM],
  forwardStrided: [{ wg: 64, tc: 32, tp: 4 }, { wg: 64, tc: 16, tp: 8 }, { wg: 64, tc: 16, tp: 4 }, { wg: 64, tc: 8, tp: 4 }, ...GEMM],
  pointwise: [{ wg: 64, tc: 32, tp: 8 }, { wg: 64, tc: 32, tp: 4 }, { wg: 64, tc: 16, tp: 4 }, { wg: 64, tc: 16, tp: 2 }, ...GEMM],
  backwardInput: [{ wg: 64, tc: 32, tp: 4 }, { wg: 64, tc: 16, tp: 8 }, { wg: 64, tc: 16, tp: 4 }, { wg: 64, tc: 16, tp: 2 }, ...GEMM],
  pointwiseBackward: [{ wg: 64, tc: 32, tp: 8 }, { wg: 64, tc: 32, tp: 4 }, { wg: 64, tc: 16, tp: 4 }, { wg: 64, tc: 16, tp: 2 }, ...GEMM],
};

export const TUNED_FAMILIES = Object.keys(SHAPES) as Exclude<TileName, 'backwardWeight'>[];

export interface FamilyResult {
  family: TileName;
  /** The tile before tuning and the one kept. */
  before: ConvTile;
  chosen: ConvTile;
  /** Median ms per candidate (sum over the family's shapes). */
  candidates: { tile: ConvTile; medianMs: number }[];
}

export interface AutotuneOptions {
  /** Timed rounds per family (default 5), after one warm-up round that also compiles the pipelines. */
  rounds?: number;
  /** Relative speed-up a candidate needs to replace the current tile (default 0.03). */
  margin?: number;
  /** Families to tune (default all but the weight gradient). */
  families?: readonly TileName[];
  onProgress?: (family: TileName, done: number, total: number) => void;
}

const same = (a: ConvTile, b: ConvTile) => a.wg === b.wg && a.tc === b.tc && a.tp === b.tp && !!a.gemm === !!b.gemm;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

/**
 * Times the candidate tiles of each family on `device` and sets the fastest in the adapter's tile table
 * (convTuning or convTuning.gpu). Returns what was timed and chosen (for applyConvTiles on a later run).
 */
export async function autotuneConv(device: Device, opts: AutotuneOptions = {}): Promise<FamilyResult[]> {
  const rounds = opts.rounds ?? 5;
  const margin = opts.margin ?? 0.03;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`autotuneConv: rounds must be an integer >= 1; got ${rounds}`);
  const families = (opts.families ?? TUNED_FAMILIES) as TileName[];
  for (const f of families) {
    if (!(f in SHAPES)) throw new Error(`autotuneConv: unknown kernel family '${f}' (known: ${TUNED_FAMILIES.join(', ')})`);
  }
  const table = tileTable(device.runtime);
  const results: FamilyResult[] = [];
  let seed = 1;
  const rand = (shape: number[], requiresGrad = false) => {
    const t = randn(device, shape, seed++, { std: 0.5 });
    t.requiresGrad = requiresGrad;
    return t;
  };
  for (const family of families as Exclude<TileName, 'backwardWeight'>[]) {
    const before = { ...table[family] };
    const cands = [before, ...CANDIDATES[family].filter((c) => !same(c, before))];
    const backward = family === 'backwardInput' || family === 'pointwiseBackward';
    // Inputs, weights and (for the backward families) graphs built once; only the timed part runs per call.
    const cases = SHAPES[family].map(([cin, h, cout, k, stride, pad]) => {
      const x = rand([1, cin, h, h], backward);
      const w = rand([cout, cin, k, k]);
      const b = rand([cout]);
      const opts = { stride, padding: pad, activation: 'relu' as const };
      // Backward families: the forward graph and the output gradient are made once; only grad() is timed.
      const y = backward ? keep(conv2d(x, w, b, opts)) : null;
      const gy: Tensor | null = y ? rand([...y.shape]) : null;
      return { x, w, b, opts, y, gy };
    });
    const runOnce = async (): Promise<number> => {
      const t0 = performance.now();
      for (const c of cases) {
        if (c.y) tidy(() => grad(c.y!, [c.x], c.gy!));
        else tidy(() => noGrad(() => conv2d(c.x, c.w, c.b, c.opts)));
      }
      await device.sync();
      return performance.now() - t0;
    };
    const times: number[][] = cands.map(() => []);
    for (let r = -1; r < rounds; r++) {
      for (let j = 0; j < cands.length; j++) {
        const i = (j + Math.max(r, 0)) % cands.length; // rotate the order between rounds
        table[family] = { ...cands[i] };
        const ms = await runOnce();
        if (r >= 0) times[i].push(ms);
      }
      opts.onProgress?.(family, r + 2, rounds + 1);
    }
    const medians = times.map(median);
    let best = 0;
    for (let i = 1; i < cands.length; i++) if (medians[i] < medians[best]) best = i;
    const chosen = best !== 0 && medians[best] < medians[0] * (1 - margin) ? cands[best] : before;
    table[family] = { ...chosen };
    results.push({ family, before, chosen: { ...chosen }, candidates: cands.map((tile, i) => ({ tile: { ...tile }, medianMs: medians[i] })) });
    for (const c of cases) dispose(c.x, c.w, c.b, ...(c.y ? [c.y, c.gy!] : []));
  }
  return results;
}

/** Sets tiles chosen before (e.g. read from a cache) in the adapter's table; unknown families are refused. */
export function applyConvTiles(device: Device, tiles: Partial<Record<TileName, ConvTile>>): void {
  const table = tileTable(device.runtime);
  for (const [family, tile] of Object.entries(tiles) as [TileName, ConvTile][]) {
    if (!(family in SHAPES)) throw new Error(`applyConvTiles: unknown kernel family '${family}' (known: ${TUNED_FAMILIES.join(', ')})`);
    if (!tile || ![tile.wg, tile.tc, tile.tp].every((v) => Number.isInteger(v) && v > 0)) {
      throw new Error(`applyConvTiles: tile of '${family}' must have integer wg, tc, tp; got ${JSON.stringify(tile)}`);
    }
    if (tile.gemm) checkGemmTile(family, tile);
    (table as Record<TileName, ConvTile>)[family] = tile.gemm ? { wg: tile.wg, tc: tile.tc, tp: tile.tp, gemm: true } : { wg: tile.wg, tc: tile.tc, tp: tile.tp };
  }
}

/** The current tiles of the tuned families on this device's adapter. */
export function currentConvTiles(device: Device): Record<Exclude<TileName, 'backwardWeight'>, ConvTile> {
  const table = tileTable(device.runtime);
  return Object.fromEntries(TUNED_FAMILIES.map((f) => [f, { ...table[f] }])) as Record<Exclude<TileName, 'backwardWeight'>, ConvTile>;
}
