// Launchers of the conv kernels (shaders/conv2d_*.wgsl): each records the dispatches of one step of a conv's
// forward or backward on GPU buffers, no graph. The tile and the weight-tap variant come from tuning.ts;
// the dispatch geometry of the tiled kernels from convGrid().
import type { Runtime } from '../../gpu/runtime.js';
import { kernel } from '../../gpu/library.js';
import { Storage, groups1d, ITEMS, type Tensor } from '../../tensor/index.js';
import type { ConvGeom, ConvShape } from '../cpu/conv.js';
import { gemmBackwardInputRaw, gemmBackwardWeightRaw, gemmForwardRaw } from '../conv_gemm.js';
import { convTuning, gemmTile, tapConstants, tapVariant, tileFor, tileTable, type ConvTile } from './tuning.js';

export type { ConvGeom };

const MAX_GROUPS = 65535;

/**
 * The dispatch geometry of the tiled conv kernels. `items` work items per channel block (pixel groups of
 * tile.tp, or weight-column groups), `channels` in blocks of tile.tc, `images` (or reduction chunks) along z.
 * Flat (the default): lane L runs item L % itemsPad of channel block L / itemsPad, with itemsPad = items
 * rounded up to `pad` (1: no idle lanes between blocks; the subgroup size or the workgroup size: channel block
 * uniform per subgroup / workgroup); lanes fill workgroups of tile.wg along x, `yMul` (stride phases) along y.
 * channelsInY: channel blocks along y instead and itemsPad = whole workgroups. Lane blocks past the 65535
 * limit fold into z (the kernels read zFold).
 */
export function convGrid(
  items: number, channels: number, images: number, tile: ConvTile,
  opts: { pad?: number; yMul?: number; channelsInY?: boolean } = {},
): { groups: [number, number, number]; zFold: number; cBlocks: number; itemsPad: number } {
  const cBlocks = Math.ceil(channels / tile.tc);
  const yMul = opts.yMul ?? 1;
  let itemsPad: number;
  let lanes: number;
  let gy: number;
  if (opts.channelsInY) {
    itemsPad = Math.ceil(items / tile.wg) * tile.wg;
    lanes = itemsPad;
    gy = cBlocks * yMul;
  } else {
    const pad = Math.max(1, opts.pad ?? 1);
    itemsPad = Math.ceil(items / pad) * pad;
    lanes = cBlocks * itemsPad;
    gy = yMul;
  }
  const blocks = Math.max(1, Math.ceil(lanes / tile.wg));
  const zFold = Math.ceil(blocks / MAX_GROUPS);
  const gx = Math.ceil(blocks / zFold);
  const gz = images * zFold;
  if (gy > MAX_GROUPS || gz > MAX_GROUPS) {
    throw new Error(`conv2d: dispatch too large (${gx} x ${gy} x ${gz} workgroups) for ${items} items, ${channels} channels, ${images} images`);
  }
  return { groups: [gx, gy, gz], zFold, cBlocks, itemsPad };
}

/** The composed tiled kernel `body` with the tap variant of `tile` and its constants. */
function tiled(rt: Runtime, body: string, tile: ConvTile, consts: Record<string, number>, tap = tapVariant(rt, tile)) {
  return kernel(rt, body, { WG: tile.wg, TC: tile.tc, TP: tile.tp, ...consts }, { with: [tap.shader] });
}

/**
 * How a matrix is packed for the tiled kernels (see conv2d_pack.wgsl): C rows (channels) by K reduction
 * steps; element (c, k) sits at c * sC + (k / KK) * sA + (k % KK) * sB in the source.
 */
interface PackLayout { C: number; K: number; KK: number; sC: number; sA: number; sB: number; flip?: boolean }

/** Pack `src` so that the `tc` values of one channel block and one step k are contiguous. The caller releases it. */
function pack(rt: Runtime, src: GPUBuffer, l: PackLayout, tc: number): Storage {
  const total = Math.ceil(l.C / tc) * l.K;
  // +8 floats: the subgroup taps of the last step may read up to 7 weights past the end (never used).
  const bytes = (total * tc + 8) * 4;
  const wp = new Storage(rt, rt.acquire(bytes), bytes);
  rt.dispatch(kernel(rt, 'conv2d_pack', { WG: 64, TC: tc }), { w: src, wp: wp.buffer }, { ...l, flip: l.flip ? 1 : 0, total }, groups1d(total, 64));
  return wp;
}

/**
 * Packed weights, cached per weight storage (tensors are immutable: no op writes into an existing tensor), so
 * each weight is packed once per layout instead of on every call. The packed buffers are released with the
 * weight's storage (Storage.whenReleased).
 */
const packCache = new WeakMap<Storage, { l: PackLayout; tc: number; packed: Storage }[]>();

/** The packed buffer of weight `w` (see pack), packed on first use. Owned by the cache: do not release. */
function packedWeight(rt: Runtime, w: Tensor, l: PackLayout, tc: number): GPUBuffer {
  const st = w.store();
  let packs = packCache.get(st);
  if (!packs) {
    const list = (packs = [] as { l: PackLayout; tc: number; packed: Storage }[]);
    packCache.set(st, list);
    st.whenReleased(() => {
      for (const e of list) e.packed.release();
      list.length = 0;
      packCache.delete(st);
    });
  }
  // A weight has one or two layouts (forward, transposed): a linear search, no key built per call.
  for (let i = 0; i < packs.length; i++) {
    const e = packs[i];
    const m = e.l;
    if (e.tc === tc && m.C === l.C && m.K === l.K && m.KK === l.KK && m.sC === l.sC && m.sA === l.sA && m.sB === l.sB && !m.flip === !l.flip) return e.packed.buffer;
  }
  const packed = pack(rt, w.buffer, l, tc);
  packs.push({ l: { ...l }, tc, packed });
  return packed.buffer;
}

export interface PointwiseArgs {
  tile: 'pointwise' | 'pointwiseBackward';
  /** Images, reduction length, pixels per image, output channels. */
  N: number; R: number; HW: number; O: number;
  x: GPUBuffer;
  /** The weight W[o, r] = w[o * sO + r * sR]. */
  w: Tensor; sO: number; sR: number;
  b: GPUBuffer | null;
  /** Output with coTot channels, written from channel coOff. */
  y: GPUBuffer; coOff: number; coTot: number;
  relu: boolean;
  /** Add into y instead of overwriting it. */
  acc: boolean;
  /** x holds ciTot channels per image and this product reads [ciOff, ciOff + R) (default 0 and R). */
  ciOff?: number; ciTot?: number;
}

/** Whether arguments ask for an input channel slice (register tiles only). */
function sliced(a: { ciOff?: number; ciTot?: number }, R: number): boolean {
  return (a.ciOff ?? 0) !== 0 || (a.ciTot ?? R) !== R;
}

/** The pointwise product y[n, coOff + o, q] (+)= act(b[o] + sum_r W[o, r] x[n, r, q]) for o < O, r < R, q < HW. */
export function pointwise(rt: Runtime, a: PointwiseArgs): void {
  const gt = gemmTile(rt, a.tile);
  if (gt && sliced(a, a.R)) throw new Error('internal: the implicit-GEMM pointwise kernel reads no input slice (see inputGradReadsSlice)');
  if (gt) {
    const g: ConvGeom = { N: a.N, Cin: a.R, H: 1, W: a.HW, Cout: a.O, KH: 1, KW: 1, stride: 1, pad: 0, Ho: 1, Wo: a.HW };
    gemmForwardRaw(rt, gt, g, a.x, a.w.buffer, a.sO, a.sR, a.b, a.y, a.coOff, a.coTot, a.relu, a.acc);
    return;
  }
  const tile = tileFor(rt, a.tile, a.O);
  // tp 8: the wide variant (two vec4 pixel groups per invocation).
  const wide = tile.tp === 8;
  if (wide) tile.tp = 4;
  const tap = tapVariant(rt, tile);
  const wp = packedWeight(rt, a.w, { C: a.O, K: a.R, KK: 1, sC: a.sO, sA: a.sR, sB: 0 }, tile.tc);
  const items = Math.ceil(a.HW / (wide ? 8 : tile.tp));
  const grid = convGrid(items, a.O, a.N, tile, { pad: tap.pad });
  rt.dispatch(
    tiled(rt, 'conv2d_pointwise', tile, { WIDE: wide ? 1 : 0, ROWS: convTuning.rowTaps ? 1 : 0, ACC: a.acc ? 1 : 0 }, tap),
    { x: a.x, wp, b: a.b ?? a.x, y: a.y },
    {
      Cin: a.R, HW: a.HW, Cout: a.O, coOff: a.coOff, coTot: a.coTot, zFold: grid.zFold, items, itemsPad: grid.itemsPad,
      cBlocks: grid.cBlocks, hasBias: a.b ? 1 : 0, relu: a.relu ? 1 : 0, ciOff: a.ciOff ?? 0, ciTot: a.ciTot ?? a.R,
    },
    grid.groups,
  );
}

export interface ForwardArgs {
  x: GPUBuffer;
  w: Tensor;
  b: GPUBuffer | null;
  /** [N, coTot, Ho, Wo]; this conv writes channels [coOff, coOff + Cout). */
  out: GPUBuffer; coOff: number; coTot: number;
  relu: boolean;
  /** Add into out instead of overwriting it. */
  acc?: boolean;
  /**
   * `w` is the weight of the conv whose input gradient this is (g = that conv seen from its output: Cin and
   * Cout swapped, padding KH - 1 - pad): packed transposed with its taps reversed. Stride 1 only.
   */
  transposed?: boolean;
  /** x holds ciTot channels per image and this conv reads [ciOff, ciOff + Cin) (default 0 and Cin). */
  ciOff?: number; ciTot?: number;
}

/** The forward of conv `g`. */
export function forward(rt: Runtime, g: ConvGeom, a: ForwardArgs): void {
  if (g.N === 0) return;
  if (isPointwise(g)) {
    pointwise(rt, {
      tile: 'pointwise', N: g.N, R: g.Cin, HW: g.H * g.W, O: g.Cout, x: a.x, w: a.w, sO: g.Cin, sR: 1, b: a.b, y: a.out, coOff: a.coOff, coTot: a.coTot,
      relu: a.relu, acc: a.acc ?? false, ciOff: a.ciOff, ciTot: a.ciTot,
    });
    return;
  }
  // An input gradient run as a forward conv takes the input-gradient family's tile (what the tuner timed for it).
  const family = a.transposed ? 'backwardInput' : g.stride === 1 ? 'forward' : 'forwardStrided';
  const KK = g.KH * g.KW;
  // The transposed weight with its taps reversed: element (c, k) = w[k / KK, c, KK - 1 - k % KK].
  const flipped = { C: g.Cout, K: g.Cin * KK, KK, sC: KK, sA: g.Cout * KK, sB: 1, flip: true };
  const gt = gemmTile(rt, family);
  if (gt && sliced(a, g.Cin)) throw new Error('internal: the implicit-GEMM conv kernel reads no input slice (see inputGradReadsSlice)');
  if (gt) {
    if (a.transposed) {
      // Packed as one channel block, A[m, k] = wp[k * C4 + m] (C4 = Cout rounded up to 4), cached like the
      // register tiles' packs.
      const C4 = Math.ceil(g.Cout / 4) * 4;
      gemmForwardRaw(rt, gt, g, a.x, packedWeight(rt, a.w, flipped, C4), 1, C4, a.b, a.out, a.coOff, a.coTot, a.relu, a.acc ?? false);
    } else {
      gemmForwardRaw(rt, gt, g, a.x, a.w.buffer, g.Cin * KK, 1, a.b, a.out, a.coOff, a.coTot, a.relu, a.acc ?? false);
    }
    return;
  }
  const tile = tileFor(rt, family, g.Cout);
  // tp 8: the wide variant, two vec4 pixel groups per invocation (stride 1, or stride 2 with a 3-wide kernel as
  // constants; other strided convs take tp 4).
  const taps = tapConstants(g);
  const wide = tile.tp === 8 && (g.stride === 1 || (g.stride === 2 && taps.KWc === 3));
  if (tile.tp === 8) tile.tp = 4;
  const tap = tapVariant(rt, tile);
  const layout = a.transposed ? flipped : { C: g.Cout, K: g.Cin * KK, KK, sC: g.Cin * KK, sA: KK, sB: 1 };
  const wp = packedWeight(rt, a.w, layout, tile.tc);
  // 3x3 'same' convs in wide tiles: one flat run of pixels per plane (convTuning.flatRows).
  const flat = wide && convTuning.flatRows && g.KH === 3 && g.KW === 3 && g.pad === 1 && g.Ho === g.H && g.Wo === g.W;
  const groupsX = flat ? Math.ceil((g.Ho * g.Wo) / 8) : Math.ceil(g.Wo / (wide ? 8 : tile.tp));
  const items = flat ? groupsX : g.Ho * groupsX;
  const grid = convGrid(items, g.Cout, g.N, tile, { pad: tap.pad });
  rt.dispatch(
    tiled(rt, 'conv2d_forward', tile, { S1: g.stride === 1 ? 1 : 0, WIDE: wide ? 1 : 0, ROWS: convTuning.rowTaps ? 1 : 0, ACC: a.acc ? 1 : 0, FLAT: flat ? 1 : 0, ...taps }, tap),
    { x: a.x, wp, b: a.b ?? a.x, y: a.out },
    {
      Cin: g.Cin, H: g.H, W: g.W, Cout: g.Cout, Ho: g.Ho, Wo: g.Wo, KH: g.KH, KW: g.KW,
      stride: g.stride, pad: g.pad, coOff: a.coOff, coTot: a.coTot, zFold: grid.zFold, groupsX, items, itemsPad: grid.itemsPad,
      cBlocks: grid.cBlocks, hasBias: a.b ? 1 : 0, relu: a.relu ? 1 : 0, ciOff: a.ciOff ?? 0, ciTot: a.ciTot ?? g.Cin,
    },
    grid.groups,
  );
}

export interface PrepArgs {
  /** Output gradient: channels [cOff, cOff + Cout) of a [N, cTot, Ho, Wo] tensor. */
  gy: GPUBuffer; cOff: number; cTot: number;
  /** The ReLU output (mask y > 0), or null. */
  y: GPUBuffer | null;
  /** Bias gradient to reduce into, or null. */
  db: GPUBuffer | null;
}

/**
 * One pass over the output gradient: with `y` the masked gradient is written to a new compact buffer; with
 * `db` the bias gradient is reduced into it. Returns the buffer the other gradient kernels read (null: gy itself).
 */
export function prepGrad(rt: Runtime, g: ConvGeom, a: PrepArgs): Storage | null {
  const HW = g.Ho * g.Wo;
  const { gy, y, db, cOff, cTot } = a;
  if (!y && !db) return null;
  const bytes = Math.max(4, g.N * g.Cout * HW * 4);
  const gm = y ? new Storage(rt, rt.acquire(bytes), bytes) : null;
  if (gm && !db && (cTot * HW) % 4 === 0 && (cOff * HW) % 4 === 0 && (g.Cout * HW) % 4 === 0) {
    // Mask only, every run vec4-aligned: the flat vec4 pass.
    const total4 = (g.N * g.Cout * HW) / 4;
    if (total4 > 0) {
      const k = kernel(rt, 'conv2d_relu_mask', { WG: 64, V: ITEMS });
      rt.dispatch(k, { g: gy, y: y!, gm: gm.buffer }, { run4: (g.Cout * HW) / 4, stride4: (cTot * HW) / 4, off4: (cOff * HW) / 4, total4 }, groups1d(Math.ceil(total4 / ITEMS), 64));
    }
    return gm;
  }
  const t = convTuning.biasGrad;
  // Without a bias gradient, short segments (parallel); with one, longer segments (fewer partials).
  const seg = Math.max(1, Math.min(db ? t.seg : t.maskSeg, HW));
  const nSeg = Math.ceil(HW / seg);
  const rows = g.N * g.Cout;
  const pRows = g.N * nSeg;
  const partBuf = db ? (pRows === 1 ? db : rt.acquire(pRows * g.Cout * 4)) : null;
  const dummy = !gm || !partBuf ? rt.acquire(4) : null;
  if (rows > 0 && HW > 0) {
    const k = kernel(rt, 'conv2d_bias_grad', { WG: t.wg, MASK: y ? 1 : 0, BIAS: db ? 1 : 0 });
    const gz = Math.ceil(rows / MAX_GROUPS);
    rt.dispatch(
      k,
      { g: gy, y: y ?? gy, gm: gm ? gm.buffer : dummy!, part: partBuf ?? dummy! },
      { Cout: g.Cout, HW, cOff, cTot, seg, nSeg, rows },
      [Math.ceil(nSeg / t.wg), Math.ceil(rows / gz), gz],
    );
  }
  if (db && partBuf !== db) {
    sumChunks(rt, partBuf!, db, g.Cout, pRows);
    rt.release(partBuf!);
  }
  if (dummy) rt.release(dummy);
  return gm;
}

/** out[j] = sum_c part[c*M + j] */
function sumChunks(rt: Runtime, part: GPUBuffer, out: GPUBuffer, M: number, C: number): void {
  if (M === 0) return;
  rt.dispatch(kernel(rt, 'conv2d_reduce', { WG: 64 }), { part, out }, { M, C }, groups1d(M, 64));
}

function isPointwise(g: ConvShape): boolean {
  return g.KH === 1 && g.KW === 1 && g.stride === 1 && g.pad === 0;
}

/**
 * How backwardInput computes the input gradient of conv g on this runtime: 'pointwise' (1x1: the pointwise
 * product with the transposed weight), 'col2im' (few input channels: column gradient, then col2im),
 * 'asForward' (stride 1: the forward kernel on the transposed, rotated weight), 'gemm' (the implicit-GEMM
 * input-gradient kernel) or 'gather' (conv2d_backward_input).
 */
function inputGradRoute(rt: Runtime, g: ConvShape): 'pointwise' | 'col2im' | 'asForward' | 'gemm' | 'gather' {
  if (isPointwise(g)) return 'pointwise';
  if (g.Cin < convTuning.colBelowCin) return 'col2im';
  const gt = gemmTile(rt, 'backwardInput');
  const asForward = gt ? convTuning.gemmInputGradAsForward : convTuning.inputGradAsForward;
  if (asForward && g.stride === 1 && g.KH === g.KW && g.pad <= g.KH - 1) return 'asForward';
  return gt ? 'gemm' : 'gather';
}

/**
 * Whether backwardInput of conv g can read its output gradient as a channel slice of a larger tensor
 * (`gmOff`/`gmTot`): the register-tile pointwise and forward kernels can (the 1x1 and the stride-1 input
 * gradients on CPU adapters); the others cannot.
 */
export function inputGradReadsSlice(rt: Runtime, g: ConvShape): boolean {
  const route = inputGradRoute(rt, g);
  if (route === 'pointwise') return !gemmTile(rt, 'pointwiseBackward');
  return route === 'asForward' && !gemmTile(rt, 'backwardInput');
}

export interface BackwardInputArgs {
  /** The (masked) output gradient: channels [gmOff, gmOff + Cout) of a [N, gmTot, Ho, Wo] tensor (default 0, Cout). */
  gm: GPUBuffer; gmOff?: number; gmTot?: number;
  w: Tensor;
  dx: GPUBuffer;
  /** Add into dx. */
  acc: boolean;
}

/** dx (= or += with acc) from the (masked) output gradient gm [N, Cout, Ho, Wo]. */
export function backwardInput(rt: Runtime, g: ConvGeom, a: BackwardInputArgs): void {
  if (g.N === 0) return;
  const { gm, w, dx, acc } = a;
  const KK = g.KH * g.KW;
  const route = inputGradRoute(rt, g);
  if (sliced({ ciOff: a.gmOff, ciTot: a.gmTot }, g.Cout) && !inputGradReadsSlice(rt, g)) {
    throw new Error(`internal: the ${route} input gradient reads no gradient slice (see inputGradReadsSlice)`);
  }
  if (route === 'pointwise') {
    // The transposed 1x1 conv is the pointwise product with the transposed weight: W[ci, co] = w[co * Cin + ci].
    pointwise(rt, {
      tile: 'pointwiseBackward', N: g.N, R: g.Cout, HW: g.H * g.W, O: g.Cin, x: gm, w, sO: 1, sR: g.Cin, b: null, y: dx, coOff: 0, coTot: g.Cin,
      relu: false, acc, ciOff: a.gmOff, ciTot: a.gmTot,
    });
    return;
  }
  if (route === 'col2im') {
    // Column gradient col[n, c, oy, ox] = sum_co w[co, c] gm[n, co, oy, ox] (c = (ci*KH + kh)*KW + kw), then col2im.
    const C = g.Cin * KK;
    const HoWo = g.Ho * g.Wo;
    const col = rt.acquire(Math.max(4, g.N * C * HoWo * 4));
    pointwise(rt, { tile: 'pointwiseBackward', N: g.N, R: g.Cout, HW: HoWo, O: C, x: gm, w, sO: 1, sR: C, b: null, y: col, coOff: 0, coTot: C, relu: false, acc: false });
    // 3x3 stride 2 (conv1): the spelled-out taps, up to 8 pixels per invocation.
    const k3s2 = g.KH === 3 && g.KW === 3 && g.stride === 2;
    const tp = Math.min(k3s2 ? 8 : Infinity, Math.max(1, Math.floor(convTuning.col2imTp)));
    const groupsX = Math.ceil(g.W / tp);
    const rows = g.N * g.Cin * g.H;
    const gz = Math.ceil(rows / MAX_GROUPS);
    rt.dispatch(
      kernel(rt, 'conv2d_col2im', { WG: 64, TP: tp, ACC: acc ? 1 : 0, K3S2: k3s2 ? 1 : 0 }),
      { col, dx },
      { Cin: g.Cin, H: g.H, W: g.W, KH: g.KH, KW: g.KW, Ho: g.Ho, Wo: g.Wo, stride: g.stride, pad: g.pad, rows, groupsX },
      [Math.ceil(groupsX / 64), Math.ceil(rows / gz), gz],
    );
    rt.release(col);
    return;
  }
  if (route === 'asForward') {
    // The stride-1 input gradient is a correlation of gm with the transposed, rotated weight, padding KH - 1 - pad:
    // the forward kernel (register tiles: sliding window, wide tiles, three-tap rows; or the gemm forward) runs it.
    const f: ConvGeom = { N: g.N, Cin: g.Cout, H: g.Ho, W: g.Wo, Cout: g.Cin, KH: g.KH, KW: g.KW, stride: 1, pad: g.KH - 1 - g.pad, Ho: g.H, Wo: g.W };
    forward(rt, f, { x: gm, w, b: null, out: dx, coOff: 0, coTot: g.Cin, relu: false, acc, transposed: true, ciOff: a.gmOff, ciTot: a.gmTot });
    return;
  }
  const gt = gemmTile(rt, 'backwardInput');
  if (route === 'gemm' && gt) {
    gemmBackwardInputRaw(rt, gt, g, gm, w.buffer, dx, acc);
    return;
  }
  const tile = tileFor(rt, 'backwardInput', g.Cin);
  if (tile.tp === 8) tile.tp = 4; // the wide tile is the forward kernel's (above); this kernel takes up to 4
  const tap = tapVariant(rt, tile);
  const wp = packedWeight(rt, w, { C: g.Cin, K: g.Cout * KK, KK, sC: KK, sA: g.Cin * KK, sB: 1 }, tile.tc);
  const s = g.stride;
  const Ty = Math.ceil(g.H / s);
  const Tx = Math.ceil(g.W / s);
  const groupsX = Math.ceil(Tx / tile.tp);
  const items = Ty * groupsX;
  const grid = convGrid(items, g.Cin, g.N, tile, { pad: tap.pad, yMul: s * s });
  const tc = tapConstants(g);
  rt.dispatch(
    tiled(rt, 'conv2d_backward_input', tile, { ...tc, Sc: tc.KHc ? g.stride : 0, ROWS: convTuning.rowTaps ? 1 : 0, ACC: acc ? 1 : 0 }, tap),
    { g: gm, wp, dx },
    {
      Cin: g.Cin, H: g.H, W: g.W, Cout: g.Cout, Ho: g.Ho, Wo: g.Wo, KH: g.KH, KW: g.KW,
      stride: s, pad: g.pad, Ty, Tx, zFold: grid.zFold, groupsX, items, itemsPad: grid.itemsPad, cBlocks: grid.cBlocks,
    },
    grid.groups,
  );
}

/** dw [Cout, Cin, KH, KW] from x and the (masked) output gradient gm. */
export function backwardWeight(rt: Runtime, g: ConvGeom, a: { x: GPUBuffer; gm: GPUBuffer; dw: GPUBuffer }): void {
  const K = g.Cin * g.KH * g.KW;
  const HoWo = g.Ho * g.Wo;
  const R = g.N * HoWo;
  const gt = gemmTile(rt, 'backwardWeight');
  if (gt) {
    gemmBackwardWeightRaw(rt, gt, g, a.x, a.gm, a.dw);
    return;
  }
  const t = tileFor(rt, 'backwardWeight', g.Cout);
  const items = Math.ceil(K / t.tp);
  // Narrow weights (conv1 has K = 27) waste fewer lanes with a smaller workgroup.
  let wg = t.wg;
  while (wg > 8 && wg / 2 >= items) wg /= 2;
  const tile = { wg, tc: t.tc, tp: t.tp };
  const tap = tapVariant(rt, tile);
  const chunk = Math.max(1, Math.floor(tileTable(rt).backwardWeight.chunk));
  const nChunks = Math.ceil(R / chunk);
  const grid = convGrid(items, g.Cout, nChunks, tile, { pad: tap.pad });
  if (grid.zFold !== 1) throw new Error(`conv2d: weight gradient of weight [${g.Cout}, ${g.Cin}, ${g.KH}, ${g.KW}] is too large for one dispatch`);
  // The output gradient packed so that the tc channels of one step r = (n, oy, ox) are contiguous.
  const gp = pack(rt, a.gm, { C: g.Cout, K: R, KK: HoWo, sC: HoWo, sA: g.Cout * HoWo, sB: 1 }, tile.tc);
  const part = nChunks === 1 ? a.dw : rt.acquire(nChunks * g.Cout * K * 4);
  rt.dispatch(
    tiled(rt, 'conv2d_backward_weight', tile, {}, tap),
    { x: a.x, wp: gp.buffer, part },
    {
      Cin: g.Cin, H: g.H, W: g.W, Cout: g.Cout, Ho: g.Ho, Wo: g.Wo, KH: g.KH, KW: g.KW, stride: g.stride, pad: g.pad,
      K, R, chunk, items, itemsPad: grid.itemsPad, cBlocks: grid.cBlocks,
    },
    grid.groups,
  );
  gp.release();
  if (part !== a.dw) {
    sumChunks(rt, part, a.dw, g.Cout * K, nChunks);
    rt.release(part);
  }
}
