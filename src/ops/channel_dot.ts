// channelDot: out[n, ...s] = sum_c x[n, c, ...s] w[n, c], a 1x1 conv with one output channel whose weight is
// each image's own (the classifier row of each image's class over its feature map: SqueezeNet's class scores).
// One kernel instead of a broadcast product and a channel sum; the input gradient dx = g w is one pass as well
// (a product's and a sum's backward took two, the sum's broadcast the larger). The weight gradient
// dw[n, c] = sum_s g[n, s] x[n, c, s] runs only when w needs one. Kernels: shaders/channel_dot.wgsl.
import { record, type Tensor } from '../tensor/index.js';
import { kernel } from '../gpu/library.js';
import { shapeSize } from '../shape.js';
import { emptyLike, fmtShape, groups1d, checkTensor, sameDevice } from './util.js';

const WG = 64;

/** x [N, C, ...s] (rank >= 2), w [N, C] → [N, ...s] with out[n, ...s] = sum_c x[n, c, ...s] · w[n, c]. */
export function channelDot(x: Tensor, w: Tensor): Tensor {
  checkTensor('channelDot', 'x', x);
  checkTensor('channelDot', 'w', w);
  if (x.rank < 2) throw new Error(`channelDot: 'x' must have rank >= 2 [N, C, ...]; got shape ${fmtShape(x.shape)}`);
  const [N, C] = x.shape;
  if (w.rank !== 2 || w.shape[0] !== N || w.shape[1] !== C) {
    throw new Error(`channelDot: 'w' must have shape [${N}, ${C}] (one weight per image and channel of x ${fmtShape(x.shape)}); got ${fmtShape(w.shape)}`);
  }
  sameDevice('channelDot', x, w);
  const rest = x.shape.slice(2);
  const Q = shapeSize(rest);
  const groups = Math.ceil(Q / 4);
  const rt = x.device.runtime;
  const out = emptyLike(x.device, [N, ...rest]);
  const u = { N, C, Q, groups };
  if (out.size) {
    if (C) rt.dispatch(kernel(rt, 'channel_dot', { WG }), { a: x.buffer, b: w.buffer, out: out.buffer }, u, groups1d(N * groups, WG));
    else rt.clear(out.buffer, out.size * 4);
  }
  return record(out, 'channelDot', [x, w], (g, needs) => {
    const dx = needs[0] ? emptyLike(x.device, x.shape) : null;
    const dw = needs[1] ? emptyLike(x.device, w.shape) : null;
    if (dx && dx.size) rt.dispatch(kernel(rt, 'channel_dot', { WG }, { entry: 'backward_x' }), { a: g.buffer, b: w.buffer, out: dx.buffer }, u, groups1d(N * C * groups, WG));
    if (dw && dw.size) {
      if (Q) rt.dispatch(kernel(rt, 'channel_dot', { WG }, { entry: 'backward_w' }), { a: x.buffer, b: g.buffer, out: dw.buffer }, u, groups1d(N * C, WG));
      else rt.clear(dw.buffer, dw.size * 4);
    }
    return [dx, dw];
  });
}
