// ONNX: a minimal protobuf decoder for ModelProto → GraphProto → NodeProto / TensorProto, and the mapping of
// a SqueezeNet graph's Conv weights onto torchvision's state-dict names by the graph's structure (never by
// initializer names, which depend on the exporter).
import { halfToFloat } from '../io/npy.js';
import { decodeFloat32, fmt, numel, type StateDict } from './dtypes.js';

// ---------- protobuf wire format ----------

/** One field of a message: varints as numbers (int64 two's complement decoded), bytes as views. */
type Field = { no: number; wire: 0 | 1 | 2 | 5; int: number; bytes: Uint8Array; at: number };

/** Read a varint at `p`: [value, next offset]; int64 two's complement comes out negative. */
function varint(buf: Uint8Array, p: number, what: string): [number, number] {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (p >= buf.length) throw new Error(`${what}: truncated varint at byte ${p} of ${buf.length}`);
    const b = buf[p++];
    if (i < 4) lo |= (b & 0x7f) << (7 * i);
    else if (i === 4) {
      lo |= (b & 0x0f) << 28;
      hi |= (b & 0x7f) >> 4;
    } else hi |= (b & 0x7f) << (7 * i - 32);
    if (!(b & 0x80)) return [(hi | 0) * 0x100000000 + (lo >>> 0), p]; // hi as signed int32: int64 semantics
  }
  throw new Error(`${what}: varint longer than 10 bytes at byte ${p}`);
}

/** Decode all fields of one message. `what` names the message in errors (e.g. 'GraphProto.node[3]'). */
function fields(buf: Uint8Array, what: string, names: Record<number, string> = {}): Field[] {
  const out: Field[] = [];
  const fname = (no: number) => (names[no] ? `field ${no} (${names[no]})` : `field ${no}`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 0;
  while (p < buf.length) {
    const at = p;
    let key: number;
    [key, p] = varint(buf, p, what);
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (no <= 0) throw new Error(`${what}: field number ${no} at byte ${at} (corrupt message)`);
    if (wire === 0) {
      let v: number;
      [v, p] = varint(buf, p, what);
      out.push({ no, wire, int: v, bytes: buf.subarray(0, 0), at });
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (p + n > buf.length) throw new Error(`${what}: ${fname(no)} at byte ${at} is truncated`);
      out.push({ no, wire, int: wire === 5 ? dv.getUint32(p, true) : 0, bytes: buf.subarray(p, p + n), at });
      p += n;
    } else if (wire === 2) {
      let len: number;
      [len, p] = varint(buf, p, what);
      if (len < 0 || p + len > buf.length) {
        throw new Error(`${what}: ${fname(no)} at byte ${at} claims ${len} bytes but only ${buf.length - p} remain (truncated?)`);
      }
      out.push({ no, wire, int: len, bytes: buf.subarray(p, p + len), at });
      p += len;
    } else throw new Error(`${what}: unsupported wire type ${wire} (field ${no}) at byte ${at} (corrupt message)`);
  }
  return out;
}

const utf8 = new TextDecoder();
const str = (f: Field) => utf8.decode(f.bytes);

/** A repeated integer field: packed (one length-delimited run of varints) or one varint per field. */
function ints(fs: Field[], no: number, what: string): number[] {
  const out: number[] = [];
  for (const f of fs) {
    if (f.no !== no) continue;
    if (f.wire === 0) out.push(f.int);
    else if (f.wire === 2) {
      for (let p = 0; p < f.bytes.length;) {
        let v: number;
        [v, p] = varint(f.bytes, p, `${what} (packed field ${no})`);
        out.push(v);
      }
    }
  }
  return out;
}

/** Repeated fixed-size elements (float, double), packed or not, concatenated as raw bytes. */
function fixedBytes(fs: Field[], no: number): Uint8Array {
  const parts = fs.filter((f) => f.no === no).map((f) => f.bytes);
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const b of parts) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

// ---------- ONNX messages (only what weight import needs) ----------

const MODEL_FIELDS = { 1: 'ir_version', 2: 'producer_name', 7: 'graph', 8: 'opset_import' };
const GRAPH_FIELDS = { 1: 'node', 2: 'name', 5: 'initializer', 11: 'input', 12: 'output', 13: 'value_info' };
const TENSOR_FIELDS = { 1: 'dims', 2: 'data_type', 4: 'float_data', 5: 'int32_data', 8: 'name', 9: 'raw_data', 10: 'double_data' };

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  data: Float32Array;
}

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  /** Integer and integer-list attributes (kernel_shape, strides, axis, ...). */
  attrs: Map<string, number | number[]>;
  /** Tensor attributes (Constant's value). */
  tensorAttrs: Map<string, OnnxTensor>;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: string[];
  outputs: string[];
}

const DATA_TYPES: Record<number, string> = { 1: 'float', 10: 'float16', 16: 'bfloat16', 11: 'double' };

function tensorProto(buf: Uint8Array, what: string): OnnxTensor {
  const fs = fields(buf, what, TENSOR_FIELDS);
  const name = fs.filter((f) => f.no === 8).map(str).pop() ?? '';
  const w = name ? `${what} '${name}'` : what;
  const dims = ints(fs, 1, w);
  const dataType = fs.filter((f) => f.no === 2).map((f) => f.int).pop() ?? 0;
  if (fs.some((f) => f.no === 14 && f.int === 1) || fs.some((f) => f.no === 13)) {
    throw new Error(`${w}: stored as external data (a separate file); only self-contained .onnx files are supported`);
  }
  const n = numel(dims);
  const raw = fs.find((f) => f.no === 9);
  const type = DATA_TYPES[dataType];
  if (!type) throw new Error(`${w}: data_type ${dataType} is not supported (float, float16, bfloat16, double are)`);
  let data: Float32Array;
  const check = (count: number, field: string) => {
    if (count !== n) throw new Error(`${w}: ${field} holds ${count} values for dims ${fmt(dims)} (${n}); truncated or corrupt tensor`);
  };
  if (raw) {
    const es = dataType === 1 ? 4 : dataType === 11 ? 8 : 2;
    check(raw.bytes.length / es, 'raw_data');
    data = decodeFloat32(raw.bytes, dataType === 1 ? 'float32' : dataType === 11 ? 'float64' : dataType === 10 ? 'float16' : 'bfloat16', n);
  } else if (dataType === 1) {
    const b = fixedBytes(fs, 4);
    check(b.length / 4, 'float_data');
    data = decodeFloat32(b, 'float32', n);
  } else if (dataType === 11) {
    const b = fixedBytes(fs, 10);
    check(b.length / 8, 'double_data');
    data = decodeFloat32(b, 'float64', n);
  } else {
    // float16 / bfloat16 without raw_data: bit patterns in int32_data.
    const bits = ints(fs, 5, w);
    check(bits.length, 'int32_data');
    data = new Float32Array(n);
    if (dataType === 10) for (let i = 0; i < n; i++) data[i] = halfToFloat(bits[i] & 0xffff);
    else {
      const u = new Uint32Array(data.buffer);
      for (let i = 0; i < n; i++) u[i] = (bits[i] & 0xffff) << 16;
    }
  }
  return { name, dims, dataType, data };
}

function nodeProto(buf: Uint8Array, what: string): OnnxNode {
  const fs = fields(buf, what);
  const node: OnnxNode = {
    opType: fs.filter((f) => f.no === 4).map(str).pop() ?? '',
    name: fs.filter((f) => f.no === 3).map(str).pop() ?? '',
    inputs: fs.filter((f) => f.no === 1).map(str),
    outputs: fs.filter((f) => f.no === 2).map(str),
    attrs: new Map(),
    tensorAttrs: new Map(),
  };
  const w = `${what} (${node.opType} '${node.name}')`;
  for (const a of fs.filter((f) => f.no === 5)) {
    const af = fields(a.bytes, `${w} attribute`);
    const name = af.filter((f) => f.no === 1).map(str).pop() ?? '';
    const type = af.filter((f) => f.no === 20).map((f) => f.int).pop();
    const i = af.find((f) => f.no === 3);
    const t = af.find((f) => f.no === 5);
    if (type === 7 || af.some((f) => f.no === 8)) node.attrs.set(name, ints(af, 8, `${w} attribute ${name}`));
    else if (i) node.attrs.set(name, i.int);
    if (t) node.tensorAttrs.set(name, tensorProto(t.bytes, `${w} attribute ${name}`));
  }
  return node;
}

/** Decode a ModelProto's graph: nodes, initializers (as float32), input and output names. */
export function readOnnx(bytes: Uint8Array, what = 'onnx'): OnnxGraph {
  const model = fields(bytes, `${what}: ModelProto`, MODEL_FIELDS);
  const g = model.filter((f) => f.no === 7 && f.wire === 2);
  if (g.length !== 1) throw new Error(`${what}: ModelProto has ${g.length ? 'several graphs (field 7); not an ONNX model' : 'no graph (field 7): truncated, or not an ONNX model'}`);
  const gf = fields(g[0].bytes, `${what}: GraphProto`, GRAPH_FIELDS);
  const valueInfoName = (f: Field, w: string) => fields(f.bytes, w).filter((x) => x.no === 1).map(str).pop() ?? '';
  const graph: OnnxGraph = {
    nodes: gf.filter((f) => f.no === 1).map((f, i) => nodeProto(f.bytes, `${what}: GraphProto.node[${i}]`)),
    initializers: new Map(),
    inputs: gf.filter((f) => f.no === 11).map((f, i) => valueInfoName(f, `${what}: GraphProto.input[${i}]`)),
    outputs: gf.filter((f) => f.no === 12).map((f, i) => valueInfoName(f, `${what}: GraphProto.output[${i}]`)),
  };
  gf.filter((f) => f.no === 5).forEach((f, i) => {
    const t = tensorProto(f.bytes, `${what}: GraphProto.initializer[${i}]`);
    graph.initializers.set(t.name, t);
  });
  return graph;
}

/**
 * Cheap check on the first bytes: a ModelProto starts with ir_version (field 1, a small varint), then known
 * ModelProto fields. Lenient about truncation, so that a cut-off model is reported by readOnnx, not as
 * "not a weights file".
 */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  if (bytes.length < 2 || bytes[0] !== 0x08 || bytes[1] < 1 || bytes[1] > 0x7f) return false;
  if (bytes.length === 2) return true;
  const wire: Record<number, number> = { 1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2 };
  return wire[bytes[2] >> 3] === (bytes[2] & 7);
}

// ---------- SqueezeNet by structure ----------

/** Ops a SqueezeNet export may contain; anything else means this graph is another network. */
const SQUEEZENET_OPS = new Set([
  'Conv', 'Relu', 'MaxPool', 'Concat', 'Dropout', 'AveragePool', 'GlobalAveragePool', 'Flatten', 'Reshape',
  'Identity', 'Constant', 'Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Softmax', 'Cast', 'Pad',
]);
/** Ops that are a module of their own in torchvision's `features` Sequential (and so take an index). */
const INDEXED = new Set(['Relu', 'MaxPool', 'AveragePool']);

/**
 * Name a SqueezeNet graph's Conv weights as torchvision does: the graph is walked in node order, counting
 * `features` Sequential positions (a Conv, ReLU, MaxPool, or a whole Fire module each take one index);
 * a Fire is a squeeze Conv(+Relu) feeding two expand Convs(+Relu) whose outputs a Concat joins, the 1×1
 * expand first; the final Conv is classifier.1. Initializers the mapping does not use keep their names.
 */
export function squeezeNetFromOnnx(graph: OnnxGraph, what = 'onnx'): StateDict {
  const foreign = [...new Set(graph.nodes.map((n) => n.opType).filter((t) => !SQUEEZENET_OPS.has(t)))];
  if (foreign.length) {
    throw new Error(`${what}: this ONNX graph does not look like a SqueezeNet: it has ${foreign.slice(0, 8).join(', ')} nodes (SqueezeNet uses Conv, Relu, MaxPool, Concat, GlobalAveragePool)`);
  }
  // Constant nodes and Identity chains can stand in for initializers.
  const consts = new Map(graph.initializers);
  const alias = new Map<string, string>();
  for (const n of graph.nodes) {
    const v = n.tensorAttrs.get('value');
    if (n.opType === 'Constant' && v && n.outputs[0]) consts.set(n.outputs[0], { ...v, name: n.outputs[0] });
    if (n.opType === 'Identity' && n.inputs[0] && n.outputs[0]) alias.set(n.outputs[0], n.inputs[0]);
  }
  const resolve = (name: string) => {
    for (let i = 0; alias.has(name) && i < 1000; i++) name = alias.get(name)!;
    return name;
  };
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) {
      const key = resolve(i);
      if (!consumers.has(key)) consumers.set(key, []);
      consumers.get(key)!.push(n);
    }
  }

  const convs = graph.nodes.filter((n) => n.opType === 'Conv');
  if (convs.length < 2) throw new Error(`${what}: this ONNX graph does not look like a SqueezeNet: ${convs.length} Conv nodes`);
  const used = new Set<string>();
  const weightOf = (conv: OnnxNode, k: 1 | 2, label: string) => {
    const src = conv.inputs[k] ? resolve(conv.inputs[k]) : '';
    const t = consts.get(src);
    if (!t) {
      const part = k === 1 ? 'weight' : 'bias';
      throw new Error(`${what}: Conv '${conv.name}' (${label}) has no ${part} initializer${src ? ` ('${src}' is computed, not stored)` : ''}`);
    }
    used.add(src);
    return { shape: t.dims.slice(), data: t.data };
  };
  const out: StateDict = new Map();
  const put = (conv: OnnxNode, prefix: string) => {
    out.set(`${prefix}.weight`, weightOf(conv, 1, prefix));
    out.set(`${prefix}.bias`, weightOf(conv, 2, prefix));
  };
  /** The value a Conv's result is used as: through its Relu when it has one. */
  const activated = (conv: OnnxNode) => {
    const users = consumers.get(conv.outputs[0]) ?? [];
    return users.length === 1 && users[0].opType === 'Relu' ? { relu: users[0], value: users[0].outputs[0] } : { relu: null, value: conv.outputs[0] };
  };

  // Everything before the last Conv is `features`; the last Conv is the classifier's.
  const classifier = convs[convs.length - 1];
  const done = new Set<OnnxNode>();
  let index = 0;
  let fire = 0;
  for (const node of graph.nodes.slice(0, graph.nodes.indexOf(classifier))) {
    if (done.has(node)) continue;
    if (node.opType === 'Conv') {
      const sq = activated(node);
      const users = (consumers.get(sq.value) ?? []).filter((u) => u.opType === 'Conv');
      if (users.length === 2) {
        // A Fire module: squeeze → (expand, expand) → Concat.
        fire++;
        const exp = users.map((u) => ({ conv: u, ...activated(u) }));
        const cat = (consumers.get(exp[0].value) ?? []).find((u) => u.opType === 'Concat');
        const catInputs = cat?.inputs.map(resolve) ?? [];
        if (!cat || !exp.every((e) => catInputs.includes(e.value))) {
          throw new Error(`${what}: fire module ${fire} (squeeze Conv '${node.name}'): its two expand Convs do not meet in one Concat`);
        }
        exp.sort((a, b) => catInputs.indexOf(a.value) - catInputs.indexOf(b.value));
        const ks = exp.map((e) => consts.get(resolve(e.conv.inputs[1] ?? ''))?.dims.slice(2) ?? []);
        if (ks[0].some((d) => d !== 1) || ks[1].some((d) => d !== 3)) {
          throw new Error(`${what}: fire module ${fire} (squeeze Conv '${node.name}'): Concat joins kernels ${fmt(ks[0])} then ${fmt(ks[1])}; torchvision's Fire concatenates the 1×1 expand first, then the 3×3`);
        }
        const prefix = `features.${index}`;
        put(node, `${prefix}.squeeze`);
        put(exp[0].conv, `${prefix}.expand1x1`);
        put(exp[1].conv, `${prefix}.expand3x3`);
        for (const n of [node, sq.relu, ...exp.flatMap((e) => [e.conv, e.relu]), cat]) if (n) done.add(n);
        index++;
      } else put(node, `features.${index++}`);
    } else if (INDEXED.has(node.opType)) index++;
  }
  put(classifier, 'classifier.1');
  for (const [name, t] of graph.initializers) {
    if (!used.has(name) && !out.has(name)) out.set(name, { shape: t.dims.slice(), data: t.data });
  }
  return out;
}
