// The WGSL files of shaders/ as one ShaderLibrary (see compose.ts): the tensor layer and the ops compose
// their kernels from it by file name. esbuild (and vitest) load .wgsl files as text.
import avgpool from '../../shaders/avgpool.wgsl';
import binary from '../../shaders/binary.wgsl';
import blur from '../../shaders/blur.wgsl';
import channel_dot from '../../shaders/channel_dot.wgsl';
import clamp_channels from '../../shaders/clamp_channels.wgsl';
import concat from '../../shaders/concat.wgsl';
import conv2d_backward_input from '../../shaders/conv2d_backward_input.wgsl';
import conv2d_backward_weight from '../../shaders/conv2d_backward_weight.wgsl';
import conv2d_bias_grad from '../../shaders/conv2d_bias_grad.wgsl';
import conv2d_col2im from '../../shaders/conv2d_col2im.wgsl';
import conv2d_epilogue from '../../shaders/conv2d_epilogue.wgsl';
import conv2d_forward from '../../shaders/conv2d_forward.wgsl';
import conv2d_gemm_backward_input from '../../shaders/conv2d_gemm_backward_input.wgsl';
import conv2d_gemm_backward_weight from '../../shaders/conv2d_gemm_backward_weight.wgsl';
import conv2d_gemm_forward from '../../shaders/conv2d_gemm_forward.wgsl';
import conv2d_gemm_tile from '../../shaders/conv2d_gemm_tile.wgsl';
import conv2d_lane from '../../shaders/conv2d_lane.wgsl';
import conv2d_pack from '../../shaders/conv2d_pack.wgsl';
import conv2d_pointwise from '../../shaders/conv2d_pointwise.wgsl';
import conv2d_reduce from '../../shaders/conv2d_reduce.wgsl';
import conv2d_relu_mask from '../../shaders/conv2d_relu_mask.wgsl';
import conv2d_tap_subgroup from '../../shaders/conv2d_tap_subgroup.wgsl';
import conv2d_tap_subgroup32 from '../../shaders/conv2d_tap_subgroup32.wgsl';
import conv2d_tap_subgroup4 from '../../shaders/conv2d_tap_subgroup4.wgsl';
import conv2d_tap_vec4 from '../../shaders/conv2d_tap_vec4.wgsl';
import conv2d_taps3 from '../../shaders/conv2d_taps3.wgsl';
import conv2d_tile from '../../shaders/conv2d_tile.wgsl';
import fill from '../../shaders/fill.wgsl';
import gather from '../../shaders/gather.wgsl';
import maxpool from '../../shaders/maxpool.wgsl';
import maxpool_backward from '../../shaders/maxpool_backward.wgsl';
import plane_index from '../../shaders/plane_index.wgsl';
import random from '../../shaders/random.wgsl';
import reduce from '../../shaders/reduce.wgsl';
import reduce_backward from '../../shaders/reduce_backward.wgsl';
import roll from '../../shaders/roll.wgsl';
import softmax from '../../shaders/softmax.wgsl';
import softmax_backward from '../../shaders/softmax_backward.wgsl';
import softmax_rows from '../../shaders/softmax_rows.wgsl';
import unary from '../../shaders/unary.wgsl';
import { ShaderLibrary, type ConstValue } from './compose.js';
import type { Kernel, Runtime } from './runtime.js';

export const SHADERS = new ShaderLibrary({
  avgpool, binary, blur, channel_dot, clamp_channels, concat, conv2d_backward_input, conv2d_backward_weight, conv2d_bias_grad,
  conv2d_col2im, conv2d_epilogue, conv2d_forward, conv2d_gemm_backward_input, conv2d_gemm_backward_weight, conv2d_gemm_forward,
  conv2d_gemm_tile, conv2d_lane, conv2d_pack, conv2d_pointwise, conv2d_reduce, conv2d_relu_mask, conv2d_tap_subgroup,
  conv2d_tap_subgroup32, conv2d_tap_subgroup4, conv2d_tap_vec4, conv2d_taps3, conv2d_tile, fill, gather, maxpool, maxpool_backward, plane_index, random, reduce,
  reduce_backward, roll, softmax, softmax_backward, softmax_rows, unary,
});

/** The pipeline of shader `main` (composed with `opts.with` and the constants) for entry point `opts.entry`. */
export function kernel(
  rt: Runtime, main: string, consts: Record<string, ConstValue>, opts: { with?: readonly string[]; entry?: string } = {},
): Kernel {
  return rt.kernel(SHADERS.compose(main, consts, opts.with), opts.entry);
}
