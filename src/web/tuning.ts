// Per-adapter conv tiles in the browser: the page tunes the conv tiles for the visitor's adapter (autotuneConv:
// every candidate of every family, the tiles for SwiftShader and lavapipe, for discrete GPUs and the
// implicit-GEMM ones alike) and remembers the choice in localStorage, keyed by the adapter's vendor,
// architecture, device and description, so each adapter keeps its own. Stored tiles are applied as soon as
// the device exists; for adapters without stored tiles, tiles measured for that kind of adapter (PRESETS:
// SwiftShader) apply. On GPUs, where a tuning pass takes a second or two, the page tunes on first use by
// itself; on CPU adapters (SwiftShader) it takes about a minute, so only the Bench view's "Tune" button does.
import { autotuneConv, applyConvTiles, currentConvTiles, convTuning, isCpuAdapter, poolTuning, type AutotuneOptions, type Device, type FamilyResult, type ConvTile } from '../core.js';
import type { AdapterReport } from '../gpu/adapter.js';

const PREFIX = 'gradsight.convTiles.v1:';

export interface StoredTiles {
  tiles: Record<string, ConvTile>;
  /** When and how they were chosen. */
  at: string;
  rounds: number;
  userAgent: string;
  candidates?: { family: string; tile: ConvTile; medianMs: number }[];
  /**
   * The whole-model check of a tuning (tuneAndStore's `check`): median ms of one model step with the tiles
   * before and with the tuned ones, and which were kept.
   */
  check?: { previousMs: number; tunedMs: number; kept: 'tuned' | 'previous' };
}

/** The localStorage key of an adapter's tiles. */
export function adapterKey(a: AdapterReport): string {
  return PREFIX + [a.vendor, a.architecture, a.device, a.description].map((s) => (s || '').trim()).join('|');
}

function storage(): Storage | null {
  try {
    return typeof localStorage !== 'undefined' ? localStorage : null;
  } catch {
    return null; // storage disabled (privacy settings): tiles are not remembered
  }
}

export function loadStoredTiles(a: AdapterReport): StoredTiles | null {
  const raw = storage()?.getItem(adapterKey(a));
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as StoredTiles;
    return s && typeof s.tiles === 'object' ? s : null;
  } catch {
    return null;
  }
}

/**
 * Where the current tiles come from: 'stored' (tuned on this adapter before), 'tuned' (this session), 'preset'
 * (measured for this kind of adapter, below) or 'default'.
 */
export let tilesFrom: 'default' | 'preset' | 'stored' | 'tuned' = 'default';

/**
 * Tiles measured by the tuner for adapters many visitors have, applied while nothing is stored for the adapter.
 * SwiftShader (Chromium without a usable GPU; `npm run bench -- browser --tune 2`, 2026-11-30): against the
 * CPU-adapter defaults tuned for lavapipe (32 x 8), the 3x3 forward 164 vs 288 ms (16 x 4), the pointwise
 * forward 114 vs 167 ms (32 x 4), the pointwise input gradient 115 vs 155 ms (16 x 4), the 3x3 input
 * gradient 289 vs 307 ms (16 x 4), summed over each family's SqueezeNet shapes at batch 1. SwiftShader runs a
 * workgroup's invocations as 4-wide SIMD on CPU threads and keeps fewer accumulators in registers than lavapipe.
 * `pool`: poolTuning for the adapter (SwiftShader: the max-pool without private arrays, −12 ms of a 380 ms
 * saliency pass, `window.B.tileAB` in bench/browser; since it carries the shared window column, 259 vs 272 ms).
 * `conv`: convTuning switches (SwiftShader: one tap at a time, not three-tap rows: saliency 279 vs 287 ms,
 * forward 146 vs 150 ms, same page; the rows are lavapipe's win).
 * forwardStrided (conv1) 16 x 4: forward 146 vs 150 ms against 32 x 4 (`window.B.tileAB`, same page). The
 * stride-1 input gradients through the forward kernel (inputGradAsForward): saliency 274 vs 280 ms, same page.
 * Since conv2d_forward runs one flat (input channel, kernel row) loop, the stride-1 forward takes the wide 16 x 8
 * tile: saliency 267 vs 279 ms and 228 vs 237 ms (two pages); the input gradients then kept 16 x 4 (16 x 8 with
 * 64-lane workgroups: 257 vs 249).
 * Workgroups of 16 lanes instead of 64 (SwiftShader hands whole workgroups to its threads, and the 13 x 13 layers
 * had only 2-7 of 64 lanes: one thread got twice the other's work): saliency 265 vs 273 ms median, 244 vs 263
 * min, forward 141 vs 144 ms (same page, 12 rounds; two earlier pages 273 vs 284 and 255 vs 273 ms). With
 * them, the stride-1 input gradients take the wide 16 x 8 tile too: saliency 257 vs 271 and 281 vs 293 ms
 * median (two pages, 10-12 rounds). `flatRows`: the 3x3 'same' convs as one pixel run per plane (13- and
 * 27-pixel rows no longer compute 16 and 32): saliency 226 vs 239 and 226 vs 242 ms, forward 125 vs 126 and
 * 118 vs 125 ms (two pages, 10 rounds; lavapipe, whose input gradients do not run as forward convs: no change).
 * With 16-lane workgroups the pointwise input gradients take 32 x 4 (their pointwise GPU time 56.9 and 54.8 vs
 * 60.8 ms, `window.B.profile` in one page, mostly conv1's column gradient), and conv1 the wide strided tile 16 x 8
 * (stride 2, 17 loads for 8 pixels x 3 taps); both: saliency GPU time 163.5 / 172.0 vs 168.1 / 183.2 ms (two pages).
 * conv1 alone has lanes enough for 64-lane workgroups (a 111 x 111 output): its forward 8.94 ms GPU time vs 9.31
 * (32 lanes) and 9.81 (16 lanes), `window.B.profile` of the forward pass, one page, 8 runs each.
 */
const PRESETS: { match: RegExp; tiles: Record<string, ConvTile>; pool?: Partial<typeof poolTuning>; conv?: Partial<Pick<typeof convTuning, 'rowTaps' | 'inputGradAsForward' | 'flatRows'>> }[] = [
  {
    match: /swiftshader/i,
    pool: { flat: true },
    conv: { rowTaps: false, inputGradAsForward: true, flatRows: true },
    tiles: {
      forward: { wg: 16, tc: 16, tp: 8 },
      forwardStrided: { wg: 64, tc: 16, tp: 8 },
      pointwise: { wg: 16, tc: 32, tp: 4 },
      backwardInput: { wg: 16, tc: 16, tp: 8 },
      pointwiseBackward: { wg: 16, tc: 32, tp: 4 },
    },
  },
];

function presetFor(a: AdapterReport) {
  const s = `${a.vendor} ${a.architecture} ${a.device} ${a.description}`;
  return PRESETS.find((p) => p.match.test(s));
}

/** The preset tiles for this adapter, if it is one of PRESETS. */
export function presetTiles(a: AdapterReport): Record<string, ConvTile> | null {
  return presetFor(a)?.tiles ?? null;
}

/**
 * Applies the tiles remembered for this adapter, if any. A stored entry the library refuses (an older format,
 * a family that no longer exists) is dropped, and the defaults stay.
 */
export function applyStoredTiles(device: Device): StoredTiles | null {
  // Switches that are not tiles follow the kind of adapter, stored tiles or not.
  const preset = presetFor(device.adapter);
  Object.assign(poolTuning, preset?.pool ?? {});
  Object.assign(convTuning, preset?.conv ?? {});
  const s = loadStoredTiles(device.adapter);
  if (!s) {
    if (preset) {
      applyConvTiles(device, preset.tiles as Parameters<typeof applyConvTiles>[1]);
      tilesFrom = 'preset';
    }
    return null;
  }
  try {
    applyConvTiles(device, s.tiles as Parameters<typeof applyConvTiles>[1]);
    tilesFrom = 'stored';
    return s;
  } catch (e) {
    console.warn(`gradsight: dropping the stored conv tiles of this adapter (${(e as Error).message})`);
    storage()?.removeItem(adapterKey(device.adapter));
    return null;
  }
}

/** Median ms of `step` with each set of tiles, alternating set by set (one warm-up round, then `rounds`). */
async function timeTiles(device: Device, sets: Record<string, ConvTile>[], step: () => Promise<void>, rounds: number): Promise<number[]> {
  const times = sets.map(() => [] as number[]);
  for (let r = -1; r < rounds; r++) {
    for (let i = 0; i < sets.length; i++) {
      applyConvTiles(device, sets[i] as Parameters<typeof applyConvTiles>[1]);
      const t0 = performance.now();
      await step();
      if (r >= 0) times[i].push(performance.now() - t0);
    }
  }
  return times.map((v) => [...v].sort((a, b) => a - b)[v.length >> 1]);
}

/**
 * Tunes the conv families on this device (all, or `families`), applies and stores the result; returns what was
 * timed. The tuner
 * times each family alone; with `check` (one whole-model step) the tuned tiles are also timed against the ones
 * in use before, alternating (three rounds after a warm-up), and the faster set is kept and stored: on
 * SwiftShader the tuner's per-family choices made the whole saliency pass slower than the page's preset
 * (259 vs ~190 ms).
 */
export async function tuneAndStore(
  device: Device,
  opts: { rounds?: number; families?: AutotuneOptions['families']; onProgress?: (text: string, frac: number) => void; check?: () => Promise<void> } = {},
): Promise<{ results: FamilyResult[]; stored: StoredTiles }> {
  const rounds = opts.rounds ?? (isCpuAdapter(device.adapter) ? 2 : 3);
  const families: string[] = [];
  const before = currentConvTiles(device) as unknown as Record<string, ConvTile>;
  const results = await autotuneConv(device, {
    rounds,
    families: opts.families,
    onProgress: (family, done, total) => {
      if (!families.includes(family)) families.push(family);
      opts.onProgress?.(`${family}: round ${done} of ${total}`, (families.length - 1 + done / total) / (opts.families?.length ?? 5));
    },
  });
  let check: StoredTiles['check'];
  const tuned = currentConvTiles(device) as unknown as Record<string, ConvTile>;
  if (opts.check && JSON.stringify(tuned) !== JSON.stringify(before)) {
    opts.onProgress?.('whole-model check: tuned tiles against the previous ones', 1);
    const [previousMs, tunedMs] = await timeTiles(device, [before, tuned], opts.check, 3);
    const kept = tunedMs <= previousMs ? 'tuned' : 'previous';
    applyConvTiles(device, (kept === 'tuned' ? tuned : before) as Parameters<typeof applyConvTiles>[1]);
    check = { previousMs, tunedMs, kept };
  }
  const stored: StoredTiles = {
    tiles: currentConvTiles(device) as unknown as Record<string, ConvTile>,
    at: new Date().toISOString(),
    rounds,
    userAgent: navigator.userAgent,
    candidates: results.flatMap((r) => r.candidates.map((c) => ({ family: r.family, tile: c.tile, medianMs: c.medianMs }))),
    ...(check ? { check } : {}),
  };
  storage()?.setItem(adapterKey(device.adapter), JSON.stringify(stored));
  tilesFrom = 'tuned';
  return { results, stored };
}

/** Forget this adapter's tiles (the defaults apply after a reload). */
export function forgetTiles(a: AdapterReport): void {
  storage()?.removeItem(adapterKey(a));
}

/** On first use: tune by itself where that is cheap (GPUs), when nothing is stored for the adapter yet. */
export function cheapToTune(a: AdapterReport): boolean {
  return !isCpuAdapter(a);
}
