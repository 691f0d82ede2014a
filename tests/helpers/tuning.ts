// Tests that change the engine's tuning switches or tile tables (convTuning, poolTuning) get them back after
// each test: whole objects, so a key a test added (a gemm tile's `gemm`) does not outlive it.
import { afterEach } from 'vitest';
import { convTuning, poolTuning } from '../../src/index.js';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Registers an afterEach that restores convTuning and poolTuning to their values at the call. */
export function restoreTuningAfterEach(): void {
  const conv = clone(convTuning);
  const pool = clone(poolTuning);
  afterEach(() => {
    const t = convTuning as Record<string, unknown>;
    for (const [k, v] of Object.entries(clone(conv) as Record<string, unknown>)) {
      // The GPU table's families are replaced one by one (tileTable hands out convTuning.gpu itself).
      if (k === 'gpu') Object.assign(convTuning.gpu, v);
      else t[k] = v;
    }
    Object.assign(poolTuning, pool);
  });
}
