// The CPU check of a fireExpand (forward and all five gradients) shared by the conv tile tests.
import { expect } from 'vitest';
import { relErr } from './device.js';
import { conv2dCpu, conv2dBackwardCpu, concatChannelsCpu, type ConvShape } from '../../src/ops/cpu/conv.js';

export interface FireCase {
  dims: [N: number, C: number, H: number, W: number, E1: number, E3: number];
  /** squeeze output, expand1x1 weight/bias, expand3x3 weight/bias, and the output-gradient seed */
  sd: Float32Array; w1: Float32Array; b1: Float32Array; w3: Float32Array; b3: Float32Array; r: Float32Array;
}

/** GPU results [y, dsqueeze, dw1, db1, dw3, db3] against the CPU reference (conv + relu per slice), within `tol`. */
export function expectFireMatchesCpu(got: Float32Array[], c: FireCase, tol: number): void {
  const [y, ds, dw1, db1, dw3, db3] = got;
  const [N, C, H, W, E1, E3] = c.dims;
  const s1: ConvShape = { N, Cin: C, H, W, Cout: E1, KH: 1, KW: 1, stride: 1, pad: 0 };
  const s3: ConvShape = { N, Cin: C, H, W, Cout: E3, KH: 3, KW: 3, stride: 1, pad: 1 };
  const y1 = conv2dCpu(c.sd, c.w1, c.b1, s1, 'relu');
  const y3 = conv2dCpu(c.sd, c.w3, c.b3, s3, 'relu');
  const HW = H * W;
  expect(relErr(y, concatChannelsCpu([{ data: y1, C: E1 }, { data: y3, C: E3 }], N, HW))).toBeLessThan(tol);
  // Split the seed into the two channel slices.
  const r1 = new Float64Array(N * E1 * HW);
  const r3 = new Float64Array(N * E3 * HW);
  for (let n = 0; n < N; n++) {
    r1.set(c.r.subarray(n * (E1 + E3) * HW, (n * (E1 + E3) + E1) * HW), n * E1 * HW);
    r3.set(c.r.subarray((n * (E1 + E3) + E1) * HW, (n + 1) * (E1 + E3) * HW), n * E3 * HW);
  }
  const g1 = conv2dBackwardCpu(c.sd, c.w1, r1, s1, y1);
  const g3 = conv2dBackwardCpu(c.sd, c.w3, r3, s3, y3);
  expect(relErr(ds, g1.dx.map((a, i) => a + g3.dx[i]))).toBeLessThan(tol);
  expect(relErr(dw1, g1.dw)).toBeLessThan(tol);
  expect(relErr(db1, g1.db)).toBeLessThan(tol);
  expect(relErr(dw3, g3.dw)).toBeLessThan(tol);
  expect(relErr(db3, g3.db)).toBeLessThan(tol);
}
