// ONNX decoding and the structural SqueezeNet mapping, on ModelProtos assembled here field by field: every
// TensorProto encoding (raw_data, packed float_data, double_data, float16/bfloat16 as raw or int32_data),
// weights arriving through Constant and Identity nodes, initializers listed as graph inputs, and the errors.
import { describe, it, expect } from 'vitest';
import { readOnnx, squeezeNetFromOnnx } from '../../src/weights/onnx.js';
import { importSqueezeNet, detectFormat } from '../../src/weights/index.js';
import { TINY, TINY_VALUES, expectTiny } from './fixtures.js';

// ---------- a minimal protobuf writer ----------
type Msg = (number | Uint8Array)[];
function varint(v: number): number[] {
  const out: number[] = [];
  let x = BigInt.asUintN(64, BigInt(v));
  do {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    out.push(x ? b | 0x80 : b);
  } while (x);
  return out;
}
const enc = new TextEncoder();
function cat(parts: Msg): Uint8Array {
  const arrs = parts.map((p) => (typeof p === 'number' ? new Uint8Array([p]) : p));
  const out = new Uint8Array(arrs.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const a of arrs) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}
const vfield = (no: number, v: number) => cat([...varint(no * 8), ...varint(v)]);
const bfield = (no: number, b: Uint8Array | string) => {
  const bytes = typeof b === 'string' ? enc.encode(b) : b;
  return cat([...varint(no * 8 + 2), ...varint(bytes.length), bytes]);
};
const packed = (no: number, vs: number[]) => bfield(no, new Uint8Array(vs.flatMap(varint)));
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function f16bits(x: number): number {
  if (x === 0) return Object.is(x, -0) ? 0x8000 : 0;
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  const e = ((u >>> 23) & 0xff) - 127 + 15;
  return ((u >>> 16) & 0x8000) | (e << 10) | ((u >>> 13) & 0x3ff); // exact for these fixture values
}
const bf16bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0] >>> 16;

type Enc = 'raw' | 'float_data' | 'double' | 'f16raw' | 'f16int32' | 'bf16raw' | 'bf16int32';
function tensor(name: string, dims: number[], values: number[], how: Enc): Uint8Array {
  const head = [name ? bfield(8, name) : new Uint8Array(0), packed(1, dims)];
  switch (how) {
    case 'raw': return cat([...head, vfield(2, 1), bfield(9, bytesOf(new Float32Array(values)))]);
    case 'float_data': return cat([...head, vfield(2, 1), bfield(4, bytesOf(new Float32Array(values)))]);
    case 'double': return cat([...head, vfield(2, 11), bfield(10, bytesOf(new Float64Array(values)))]);
    case 'f16raw': return cat([...head, vfield(2, 10), bfield(9, bytesOf(new Uint16Array(values.map(f16bits))))]);
    case 'f16int32': return cat([...head, vfield(2, 10), packed(5, values.map(f16bits))]);
    case 'bf16raw': return cat([...head, vfield(2, 16), bfield(9, bytesOf(new Uint16Array(values.map(bf16bits))))]);
    case 'bf16int32': return cat([...head, vfield(2, 16), ...values.map((v) => vfield(5, bf16bits(v)))]); // unpacked
  }
}
function node(op: string, inputs: string[], outputs: string[], attrs: Uint8Array[] = []): Uint8Array {
  return cat([...inputs.map((i) => bfield(1, i)), ...outputs.map((o) => bfield(2, o)), bfield(3, `${op}_${outputs[0]}`), bfield(4, op), ...attrs.map((a) => bfield(5, a))]);
}
const intsAttr = (name: string, vs: number[]) => cat([bfield(1, name), vfield(20, 7), packed(8, vs)]);
const intAttr = (name: string, v: number) => cat([bfield(1, name), vfield(20, 2), vfield(3, v)]);
const tensorAttr = (name: string, t: Uint8Array) => cat([bfield(1, name), vfield(20, 4), bfield(5, t)]);
const valueInfo = (name: string) => bfield(1, name);
const model = (nodes: Uint8Array[], inits: Uint8Array[], inputs: string[], outputs = ['logits']) =>
  cat([vfield(1, 7), bfield(2, 'test'), bfield(7, cat([
    ...nodes.map((n) => bfield(1, n)), bfield(2, 'g'), ...inits.map((t) => bfield(5, t)),
    ...inputs.map((i) => bfield(11, valueInfo(i))), ...outputs.map((o) => bfield(12, valueInfo(o))),
  ])), bfield(8, vfield(2, 11))]);

const shape = (n: string) => TINY.tensors.find((t) => t.name === n)!.shape;
const W = (n: string, name: string, how: Enc) => tensor(name, shape(n), TINY_VALUES[n], how);
const conv = (x: string, w: string, b: string | null, y: string, k: number) =>
  node('Conv', b ? [x, w, b] : [x, w], [y], [intsAttr('kernel_shape', [k, k]), intsAttr('strides', [1, 1])]);

/** The tiny SqueezeNet as an ONNX graph; `opts` vary the Fire's Concat order and add foreign ops. */
function tinyGraph(opts: { reverseConcat?: boolean; extraOp?: string; dropBias?: boolean } = {}): Uint8Array {
  const nodes = [
    // features.0 weight as a Constant (float16 raw) reached through an Identity.
    node('Constant', [], ['c0'], [tensorAttr('value', W('features.0.weight', '', 'f16raw'))]),
    node('Identity', ['c0'], ['w0']),
    conv('input', 'w0', opts.dropBias ? null : 'b0', 'h0', 3),
    node('Relu', ['h0'], ['h1']),
    node('MaxPool', ['h1'], ['h2'], [intsAttr('kernel_shape', [3, 3]), intAttr('ceil_mode', 1)]),
    conv('h2', 'ws', 'bs', 's0', 1),
    node('Relu', ['s0'], ['s1']),
    conv('s1', 'we3', 'be3', 'e3', 3), // the 3×3 expand comes first in node order
    node('Relu', ['e3'], ['e3r']),
    conv('s1', 'we1', 'be1', 'e1', 1),
    node('Relu', ['e1'], ['e1r']),
    node('Concat', opts.reverseConcat ? ['e3r', 'e1r'] : ['e1r', 'e3r'], ['f'], [intAttr('axis', -3)]),
    ...(opts.extraOp ? [node(opts.extraOp, ['f'], ['f2'])] : []),
    conv(opts.extraOp ? 'f2' : 'f', 'wc', 'bc', 'c', 1),
    node('Relu', ['c'], ['cr']),
    node('GlobalAveragePool', ['cr'], ['p']),
    node('Flatten', ['p'], ['logits'], [intAttr('axis', 1)]),
  ];
  const inits = [
    W('features.0.bias', 'b0', 'float_data'),
    W('features.3.squeeze.weight', 'ws', 'bf16int32'),
    W('features.3.squeeze.bias', 'bs', 'bf16raw'),
    W('features.3.expand1x1.weight', 'we1', 'double'),
    W('features.3.expand1x1.bias', 'be1', 'f16int32'),
    W('features.3.expand3x3.weight', 'we3', 'raw'),
    W('features.3.expand3x3.bias', 'be3', 'raw'),
    W('classifier.1.weight', 'wc', 'raw'),
    W('classifier.1.bias', 'bc', 'raw'),
  ];
  return model(nodes, inits, ['input', 'b0', 'ws', 'bs', 'we1', 'be1', 'we3', 'be3', 'wc', 'bc']);
}

describe('ONNX', () => {
  it('decodes every tensor encoding and maps by structure', () => {
    const bytes = tinyGraph();
    expect(detectFormat(bytes)).toBe('onnx');
    const g = readOnnx(bytes, 'g.onnx');
    expect(g.nodes.length).toBe(16);
    expect(g.inputs).toEqual(['input', 'b0', 'ws', 'bs', 'we1', 'be1', 'we3', 'be3', 'wc', 'bc']);
    expect(g.outputs).toEqual(['logits']);
    expect(g.nodes.find((n) => n.opType === 'Concat')!.attrs.get('axis')).toBe(-3); // negative int64 varint
    expect(g.nodes[2].attrs.get('kernel_shape')).toEqual([3, 3]);
    const r = importSqueezeNet(bytes, 'g.onnx', TINY);
    expect(expectTiny(r.dict)).toEqual([]);
    expect(r.extras).toEqual([]);
  });

  it('rejects a Fire whose Concat puts the 3×3 expand first', () => {
    expect(() => squeezeNetFromOnnx(readOnnx(tinyGraph({ reverseConcat: true })), 'r.onnx')).toThrow(
      "r.onnx: fire module 1 (squeeze Conv 'Conv_s0'): Concat joins kernels [3, 3] then [1, 1]; torchvision's Fire concatenates the 1×1 expand first, then the 3×3",
    );
  });

  it('says when the graph is another network', () => {
    expect(() => loadGraph(tinyGraph({ extraOp: 'BatchNormalization' }))).toThrow(
      'x.onnx: this ONNX graph does not look like a SqueezeNet: it has BatchNormalization nodes',
    );
  });

  it('names a Conv without a bias', () => {
    expect(() => loadGraph(tinyGraph({ dropBias: true }))).toThrow("x.onnx: Conv 'Conv_h0' (features.0) has no bias initializer");
  });

  it('rejects external data and unsupported element types', () => {
    const ext = model([], [cat([bfield(8, 'w'), packed(1, [2]), vfield(2, 1), vfield(14, 1)])], []);
    expect(() => readOnnx(ext, 'e.onnx')).toThrow("e.onnx: GraphProto.initializer[0] 'w': stored as external data");
    const int8 = model([], [cat([bfield(8, 'w'), packed(1, [2]), vfield(2, 3), bfield(9, new Uint8Array(2))])], []);
    expect(() => readOnnx(int8, 'i.onnx')).toThrow("i.onnx: GraphProto.initializer[0] 'w': data_type 3 is not supported");
    const short = model([], [tensor('w', [2, 3], [1, 2, 3, 4, 5], 'raw')], []);
    expect(() => readOnnx(short, 's.onnx')).toThrow("s.onnx: GraphProto.initializer[0] 'w': raw_data holds 5 values for dims [2, 3] (6); truncated or corrupt tensor");
  });
});

function loadGraph(bytes: Uint8Array) {
  return squeezeNetFromOnnx(readOnnx(bytes, 'x.onnx'), 'x.onnx');
}
