#!/usr/bin/python3
"""Golden op fixtures from PyTorch for tests/golden/ops.test.ts.

Run with Debian's interpreter (torch 1.13):   /usr/bin/python3 scripts/gen_op_fixtures.py

Writes tests/fixtures/ops/{conv2d,max_pool2d,avg_pool2d,cat,fire_chain}.json. Every case holds random float32
inputs (fixed seeds), a random tensor R of the output's shape, the forward output, and the gradient of
loss = sum(out * R) with respect to every input and parameter.

Reference precision: inputs and R are float32 values (printed with 9 significant digits, which round-trips
float32 exactly); out and the gradients are computed by PyTorch in float64 from those exact values, then
rounded to 9 significant digits. The same case is also run in float32 and must agree with float64 to 1e-5
(max |f32 - f64| / max |f64|, stored per case as `f32_rel_err`).

Fragile cases are rejected: a case is regenerated with the next seed when a ReLU input lies within 1e-5 of zero
(relative to the largest ReLU input), or when a max-pool window's top two values are closer than 1e-5
(relative to the largest |input|) without being an exact tie — an exact tie only happens on purpose (the
integer-valued `ties` case, where PyTorch's first-max rule picks the gradient's destination) or between
ReLU zeros (whose gradient is zero whichever index wins). So any float32 implementation that rounds
differently still takes the same branches, and a 1e-4 tolerance is meaningful.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'tests', 'fixtures', 'ops')
MARGIN = 1e-5
F32_TOL = 1e-5


def flt(v):
    """9 significant digits; integers stay integers-looking but are floats."""
    if not math.isfinite(v):
        raise ValueError(f'non-finite value {v}')
    r = float(f'{v:.9g}')
    return 0.0 if r == 0 else r


def arr(t):
    t = t.detach().to(torch.float64).contiguous()
    return {'shape': list(t.shape), 'data': [flt(v) for v in t.reshape(-1).tolist()]}


def rel_err(a, b):
    return (a - b).abs().max().item() / max(b.abs().max().item(), 1e-30)


class Probe:
    """Records how close the float64 run came to a branch (ReLU sign, max-pool winner)."""

    def __init__(self, active):
        self.active = active
        self.problems = []

    def relu(self, t):
        if self.active:
            a = t.detach().abs()
            mx = a.max().item()
            mn = a.min().item()
            if mx > 0 and mn < MARGIN * mx:
                self.problems.append(f'ReLU input {mn:.3g} within {MARGIN:g} of zero (max {mx:.3g})')
        return F.relu(t)

    def max_pool(self, t, k, s, p, ceil, exact_ties=False):
        out = F.max_pool2d(t, k, s, p, ceil_mode=ceil)
        if self.active:
            x = t.detach()
            N, C, H, W = x.shape
            OH, OW = out.shape[2], out.shape[3]
            scale = max(x.abs().max().item(), 1e-30)
            for oh in range(OH):
                h0, h1 = max(oh * s - p, 0), min(oh * s - p + k, H)
                for ow in range(OW):
                    w0, w1 = max(ow * s - p, 0), min(ow * s - p + k, W)
                    win = x[:, :, h0:h1, w0:w1].reshape(N, C, -1)
                    if win.shape[2] < 2:
                        continue
                    top2 = win.topk(2, dim=2).values
                    gap = top2[..., 0] - top2[..., 1]
                    tie = gap == 0
                    bad_tie = tie & (top2[..., 0] != 0) if not exact_ties else torch.zeros_like(tie)
                    near = (~tie) & (gap < MARGIN * scale)
                    if bool((bad_tie | near).any()):
                        self.problems.append(f'max-pool window ({oh},{ow}) has a near tie')
        return out


def run(fn, inputs, R32, dtype, probe):
    leaves = {k: v.to(dtype).clone().requires_grad_(True) for k, v in inputs.items()}
    out = fn(leaves, probe)
    loss = (out * R32.to(dtype)).sum()
    grads = torch.autograd.grad(loss, list(leaves.values()))
    return out.detach(), dict(zip(leaves.keys(), grads))


def make_case(name, op, params, build, fn, seed, tries=50):
    """build(gen) -> ordered dict of float32 inputs; fn(tensors, probe) -> output."""
    for attempt in range(tries):
        g = torch.Generator().manual_seed(seed + 1000 * attempt)
        inputs = build(g)
        probe = Probe(True)
        with torch.no_grad():
            shape = fn({k: v.double() for k, v in inputs.items()}, Probe(False)).shape
        R = torch.randn(shape, generator=g, dtype=torch.float32)
        out64, g64 = run(fn, inputs, R, torch.float64, probe)
        if probe.problems:
            print(f'  {name}: seed {seed + 1000 * attempt} rejected ({probe.problems[0]})', file=sys.stderr)
            continue
        out32, g32 = run(fn, inputs, R, torch.float32, Probe(False))
        errs = [rel_err(out32.double(), out64)] + [rel_err(g32[k].double(), g64[k]) for k in inputs]
        f32 = max(errs)
        if f32 > F32_TOL:
            raise AssertionError(f'{name}: float32 and float64 disagree by {f32:.3g}')
        for k, gk in g64.items():
            if gk.abs().max().item() == 0:
                raise AssertionError(f'{name}: gradient of {k} is all zeros; pick other shapes or seeds')
        print(f'{op:20s} {name:32s} out {list(out64.shape)}  f32 rel err {f32:.2e}')
        return {
            'name': name,
            'op': op,
            'params': params,
            'seed': seed + 1000 * attempt,
            'inputs': [dict(name=k, **arr(v)) for k, v in inputs.items()],
            'R': arr(R),
            'out': arr(out64),
            'grads': {k: arr(v) for k, v in g64.items()},
            'f32_rel_err': flt(f32),
        }
    raise AssertionError(f'{name}: no seed without near-ties in {tries} tries')


def randn(g, *shape, scale=1.0):
    return torch.randn(*shape, generator=g, dtype=torch.float32) * scale


def conv_params(g, cout, cin, kh, kw, bias=True):
    fan_in = cin * kh * kw
    w = randn(g, cout, cin, kh, kw, scale=math.sqrt(2.0 / fan_in))
    b = randn(g, cout, scale=0.1) if bias else None
    return w, b


def write(name, op, cases):
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, name)
    doc = {
        'op': op,
        'generator': 'scripts/gen_op_fixtures.py',
        'torch': torch.__version__,
        'reference': 'float64 computation from the float32 inputs; values rounded to 9 significant digits',
        'loss': 'sum(out * R)',
        'cases': cases,
    }
    with open(path, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    size = os.path.getsize(path)
    print(f'wrote {os.path.relpath(path, ROOT)} ({size / 1024:.1f} KiB)')
    assert size < 700 * 1024, f'{name} is too big ({size} bytes)'


# ---------------- conv2d ----------------

def conv_case(name, N, Cin, H, W, Cout, KH, KW, stride, padding, bias, activation, seed):
    def build(g):
        x = randn(g, N, Cin, H, W)
        w, b = conv_params(g, Cout, Cin, KH, KW, bias)
        d = {'x': x, 'w': w}
        if bias:
            d['b'] = b
        return d

    def fn(t, probe):
        y = F.conv2d(t['x'], t['w'], t.get('b'), stride=stride, padding=padding)
        return probe.relu(y) if activation == 'relu' else y

    params = {'stride': stride, 'padding': padding, 'activation': activation}
    return make_case(name, 'conv2d', params, build, fn, seed)


def gen_conv():
    cases = [
        conv_case('a_3x3_s1_p1_bias', 2, 3, 9, 7, 5, 3, 3, 1, 1, True, None, 101),
        conv_case('b_3x3_s2_p0_nobias', 1, 4, 11, 8, 6, 3, 3, 2, 0, False, None, 102),
        conv_case('c_1x1', 3, 6, 5, 5, 7, 1, 1, 1, 0, True, None, 103),
        conv_case('d_5x3_s2_p2', 2, 2, 10, 9, 3, 5, 3, 2, 2, True, None, 104),
        conv_case('e_squeezenet_conv1_relu', 1, 3, 23, 19, 64, 3, 3, 2, 0, True, 'relu', 105),
    ]
    write('conv2d.json', 'conv2d', cases)


# ---------------- pooling ----------------

def maxpool_case(name, shape, k, s, p, ceil, seed, ints=None):
    def build(g):
        if ints is not None:
            x = torch.randint(ints[0], ints[1] + 1, shape, generator=g).to(torch.float32)
        else:
            x = randn(g, *shape)
        return {'x': x}

    def fn(t, probe):
        return probe.max_pool(t['x'], k, s, p, ceil, exact_ties=ints is not None)

    params = {'kernel': k, 'stride': s, 'padding': p, 'ceilMode': ceil}
    return make_case(name, 'max_pool2d', params, build, fn, seed)


def gen_maxpool():
    cases = [
        maxpool_case('k3s2_ceil_2x3x7x9', (2, 3, 7, 9), 3, 2, 0, True, 201),
        maxpool_case('k3s2_ceil_1x2x13x11', (1, 2, 13, 11), 3, 2, 0, True, 202),
        maxpool_case('k3s2_ceil_1x1x8x8', (1, 1, 8, 8), 3, 2, 0, True, 203),
        maxpool_case('k3s2_p1_ceil_1x2x9x10', (1, 2, 9, 10), 3, 2, 1, True, 204),
        maxpool_case('k3s2_floor_2x3x8x9', (2, 3, 8, 9), 3, 2, 0, False, 205),
        # integers in {0,1,2}: most windows hold several maxima; PyTorch sends the gradient to the first one
        # (row-major within the window), and overlapping windows add up on shared elements.
        maxpool_case('ties_k3s2_ceil_2x2x9x8', (2, 2, 9, 8), 3, 2, 0, True, 206, ints=(0, 2)),
        maxpool_case('ties_k3s2_p1_ceil_1x3x7x6', (1, 3, 7, 6), 3, 2, 1, True, 207, ints=(-1, 1)),
        # ceil mode where the last window would start in the right padding and is dropped (W: 7 -> 4 not 5)
        maxpool_case('k2s2_p1_ceil_dropped_window_1x2x5x7', (1, 2, 5, 7), 2, 2, 1, True, 208),
    ]
    write('max_pool2d.json', 'max_pool2d', cases)


def avgpool_case(name, shape, k, s, p, seed, ceil=False, include_pad=True):
    def build(g):
        return {'x': randn(g, *shape)}

    def fn(t, probe):
        return F.avg_pool2d(t['x'], k, s, p, ceil_mode=ceil, count_include_pad=include_pad)

    params = {'kernel': k, 'stride': s, 'padding': p, 'ceilMode': ceil, 'countIncludePad': include_pad}
    return make_case(name, 'avg_pool2d', params, build, fn, seed)


def gen_avgpool():
    def gap_build(g):
        return {'x': randn(g, 2, 5, 6, 7)}

    cases = [
        avgpool_case('k2s2_2x3x7x9', (2, 3, 7, 9), 2, 2, 0, 301),
        avgpool_case('k3s2_p1_2x2x9x8', (2, 2, 9, 8), 3, 2, 1, 302),
        # ceil mode with the padding left out of the divisor (the last windows are clipped to H + p)
        avgpool_case('k3s2_p1_ceil_nopad_1x2x8x7', (1, 2, 8, 7), 3, 2, 1, 304, ceil=True, include_pad=False),
        make_case('global_2x5x6x7', 'global_avg_pool2d', {}, gap_build,
                  lambda t, probe: F.adaptive_avg_pool2d(t['x'], 1), 303),
    ]
    write('avg_pool2d.json', 'avg_pool2d', cases)


# ---------------- cat ----------------

def cat_case(name, shapes, axis, seed):
    def build(g):
        return {f'x{i}': randn(g, *s) for i, s in enumerate(shapes)}

    def fn(t, probe):
        return torch.cat(list(t.values()), dim=axis)

    return make_case(name, 'cat', {'axis': axis}, build, fn, seed)


def gen_cat():
    cases = [
        cat_case('axis1_2_3_1_channels', [(2, 2, 3, 5), (2, 3, 3, 5), (2, 1, 3, 5)], 1, 401),
        cat_case('axis0', [(1, 3, 4, 5), (2, 3, 4, 5)], 0, 402),
        cat_case('axis3', [(2, 3, 4, 2), (2, 3, 4, 5), (2, 3, 4, 1)], 3, 403),
    ]
    write('cat.json', 'cat', cases)


# ---------------- fire chain ----------------

FIRE_PARTS = ['squeeze', 'expand1x1', 'expand3x3']


def fire_chain_case(name, seed):
    # x 1x8x15x13 -> fire1(8 -> 4 -> 6+6) -> max_pool2d(3, 2, ceil) -> fire2(12 -> 4 -> 6+6)
    #   -> adaptive_avg_pool2d(1) -> flatten -> [1, 12]
    cfg = [('fire1', 8, 4, 6, 6), ('fire2', 12, 4, 6, 6)]

    def build(g):
        d = {'x': randn(g, 1, 8, 15, 13)}
        for f, cin, sq, e1, e3 in cfg:
            for part, (co, ci, k) in zip(FIRE_PARTS, [(sq, cin, 1), (e1, sq, 1), (e3, sq, 3)]):
                w, b = conv_params(g, co, ci, k, k)
                d[f'{f}.{part}.weight'] = w
                d[f'{f}.{part}.bias'] = b
        return d

    def fire(t, x, f, probe):
        p = lambda part, kind: t[f'{f}.{part}.{kind}']
        s = probe.relu(F.conv2d(x, p('squeeze', 'weight'), p('squeeze', 'bias')))
        a = probe.relu(F.conv2d(s, p('expand1x1', 'weight'), p('expand1x1', 'bias')))
        b = probe.relu(F.conv2d(s, p('expand3x3', 'weight'), p('expand3x3', 'bias'), padding=1))
        return torch.cat([a, b], 1)

    def fn(t, probe):
        y = fire(t, t['x'], 'fire1', probe)
        y = probe.max_pool(y, 3, 2, 0, True)
        y = fire(t, y, 'fire2', probe)
        return torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)

    params = {
        'fires': [{'name': f, 'in': cin, 'squeeze': sq, 'expand1x1': e1, 'expand3x3': e3} for f, cin, sq, e1, e3 in cfg],
        'pool': {'kernel': 3, 'stride': 2, 'padding': 0, 'ceilMode': True},
        'description': 'fire1 -> max_pool2d(3, 2, ceil) -> fire2 -> adaptive_avg_pool2d(1) -> flatten',
    }
    return make_case(name, 'fire_chain', params, build, fn, seed)


def gen_fire():
    write('fire_chain.json', 'fire_chain', [fire_chain_case('fire_pool_fire_gap_1x8x15x13', 501)])


# ---------------- elementwise, softmax, image, reductions, gather/slice ----------------
# Inputs are kept away from the kinks the ops have (|x| = 0, the clamp bounds, ties of maximum and of the
# max reduction) except where a case puts exact values on a kink on purpose (exact zeros for relu/abs, values
# equal to the clamp bounds, integer ties): exact values take the same branch in float32 and float64, so the
# test sees PyTorch's rule at the kink (relu'(0) = 0, |x|'(0) = 0, clamp passes the gradient at the bounds,
# maximum splits it in halves on ties, max(dim) sends it to the first maximum).

def away(x, points, margin):
    """Move values within `margin` of any of `points` to exactly `margin` away (same side, + for ties)."""
    x = x.clone()
    for p in points:
        d = x - p
        near = d.abs() < margin
        x[near] = p + torch.where(d[near] >= 0, torch.tensor(margin), torch.tensor(-margin))
    return x.to(torch.float32)


def one(name, op, params, build, fn, seed):
    return make_case(name, op, params, build, lambda t, probe: fn(t), seed)


def unary_case(name, op, shape, seed, dom='any', params=None, fn=None, exact=()):
    def build(g):
        x = randn(g, *shape)
        if dom == 'positive':
            x = 0.2 + x.abs()
        elif dom == 'nonzero':
            x = away(x, [0.0], 0.05)
        for i, v in exact:  # exact kink values at flat positions i
            x.view(-1)[i] = v
        return {'x': x}

    return one(name, op, params or {}, build, fn, seed)


def binary_case(name, op, sa, sb, seed, fn, b_away=None, ab_apart=None, ints=None, scalar=None):
    """Two tensor operands (sa, sb) or, with scalar=('a'|'b', value), one tensor and a number."""
    def build(g):
        if ints is not None:
            a = torch.randint(ints[0], ints[1] + 1, sa, generator=g).to(torch.float32)
            b = torch.randint(ints[0], ints[1] + 1, sb, generator=g).to(torch.float32)
        else:
            a = randn(g, *sa)
            b = randn(g, *sb) if sb is not None else None
            if b_away is not None:
                b = away(b, [0.0], b_away)
            if ab_apart is not None:  # |a - b| >= ab_apart after broadcasting: move b away from every a it meets
                for _ in range(4):
                    diff = (a - b).abs()
                    if diff.min().item() >= ab_apart:
                        break
                    b = b + torch.where(diff < ab_apart, torch.tensor(3 * ab_apart), torch.tensor(0.0)).sum_to_size(b.shape).sign() * 3 * ab_apart
                assert (a - b).abs().min().item() >= ab_apart, name
        if scalar is not None:
            return {'x': a}
        return {'a': a, 'b': b}

    params = {} if scalar is None else {scalar[0]: scalar[1]}
    if scalar is None:
        f = lambda t: fn(t['a'], t['b'])
    elif scalar[0] == 'b':
        f = lambda t: fn(t['x'], scalar[1])
    else:
        f = lambda t: fn(scalar[1], t['x'])
    return one(name, op, params, build, f, seed)


def gen_elementwise():
    LO, HI = -0.5, 0.75  # exact in float32: values equal to a bound compare the same in float32 and float64

    def clamp_build(g):
        x = away(randn(g, 3, 5), [LO, HI], 0.01)
        for i, v in [(1, LO), (4, HI), (7, LO), (9, HI)]:
            x.view(-1)[i] = v
        return {'x': x}

    cases = [
        binary_case('add_same_2x3x4', 'add', (2, 3, 4), (2, 3, 4), 601, torch.add),
        binary_case('add_bcast_2x3x4_3x1', 'add', (2, 3, 4), (3, 1), 602, torch.add),
        binary_case('add_scalar', 'add', (3, 5), None, 603, torch.add, scalar=('b', 1.5)),
        binary_case('sub_bcast_3x1x5_2x1', 'sub', (3, 1, 5), (2, 1), 604, torch.sub),
        binary_case('sub_scalar_first', 'sub', (2, 7), None, 605, torch.sub, scalar=('a', 2.0)),
        binary_case('mul_prefix_2x3x4x5_2x3x1x1', 'mul', (2, 3, 4, 5), (2, 3, 1, 1), 606, torch.mul),
        binary_case('mul_scalar', 'mul', (4, 3), None, 607, torch.mul, scalar=('b', -0.75)),
        binary_case('div_bcast_2x5_5', 'div', (2, 5), (5,), 608, torch.div, b_away=0.5),
        binary_case('div_same_4x4', 'div', (4, 4), (4, 4), 609, torch.div, b_away=0.5),
        binary_case('div_scalar_first', 'div', (3, 4), None, 610, lambda a, b: torch.div(a, b) if torch.is_tensor(a) else a / b,
                    scalar=('a', 3.0), b_away=None),
        binary_case('maximum_same_2x3x4', 'maximum', (2, 3, 4), (2, 3, 4), 611, torch.maximum, ab_apart=0.01),
        binary_case('maximum_bcast_2x3x4_4', 'maximum', (2, 3, 4), (4,), 612, torch.maximum, ab_apart=0.01),
        # integers in {0, 1, 2}: many exact ties, where PyTorch gives each operand half the gradient
        binary_case('maximum_ties_3x4', 'maximum', (3, 4), (3, 4), 613, torch.maximum, ints=(0, 2)),
        unary_case('neg_2x3x5', 'neg', (2, 3, 5), 620, fn=lambda t: -t['x']),
        unary_case('abs_3x7', 'abs', (3, 7), 621, dom='nonzero', fn=lambda t: t['x'].abs(), exact=[(2, 0.0), (11, 0.0)]),
        unary_case('square_2x6', 'square', (2, 6), 622, fn=lambda t: t['x'].square()),
        unary_case('sqrt_3x5', 'sqrt', (3, 5), 623, dom='positive', fn=lambda t: t['x'].sqrt()),
        unary_case('exp_2x3x4', 'exp', (2, 3, 4), 624, fn=lambda t: t['x'].exp()),
        unary_case('log_3x5', 'log', (3, 5), 625, dom='positive', fn=lambda t: t['x'].log()),
        unary_case('relu_2x3x5', 'relu', (2, 3, 5), 626, dom='nonzero', fn=lambda t: F.relu(t['x']), exact=[(0, 0.0), (13, 0.0)]),
        unary_case('relu_4x4', 'relu', (4, 4), 627, dom='nonzero', fn=lambda t: F.relu(t['x'])),
        one('clamp_3x5', 'clamp', {'lo': LO, 'hi': HI}, clamp_build, lambda t: torch.clamp(t['x'], LO, HI), 628),
    ]
    write('elementwise.json', 'elementwise', cases)


def gen_softmax():
    cases = []
    for op, f in [('softmax', torch.softmax), ('log_softmax', torch.log_softmax)]:
        for name, shape, axis, seed in [('2x3x4_axis1', (2, 3, 4), 1, 701), ('3x7_axis-1', (3, 7), -1, 702), ('5x3_axis0', (5, 3), 0, 703)]:
            cases.append(one(f'{op}_{name}', op, {'axis': axis}, lambda g, shape=shape: {'x': randn(g, *shape, scale=2.0)},
                             lambda t, f=f, axis=axis: f(t['x'], axis), seed))
    write('softmax.json', 'softmax', cases)


def scipy_reflect(k, n):
    """scipy.ndimage's 'reflect' extension (d c b a | a b c d | d c b a) for any offset."""
    m = k % (2 * n)
    return m if m < n else 2 * n - 1 - m


def gaussian_matrix(n, sigma, dtype):
    """M [n, n] with (M x)[i] = sum_t w[t] x[reflect(i + t)]: scipy.ndimage.gaussian_filter1d (truncate 4,
    mode 'reflect') as a matrix, built from the definition (torchvision's gaussian_blur pads with torch's
    'reflect', which is scipy's 'mirror', so it differs at the borders)."""
    r = int(4 * sigma + 0.5)
    t = torch.arange(-r, r + 1, dtype=torch.float64)
    w = torch.exp(-0.5 / sigma ** 2 * t * t)
    w = w / w.sum()
    M = torch.zeros(n, n, dtype=torch.float64)
    for i in range(n):
        for k in range(-r, r + 1):
            M[i, scipy_reflect(i + k, n)] += w[k + r]
    return M.to(dtype)


def blur(x, sigma):
    H, W = x.shape[-2], x.shape[-1]
    mh = gaussian_matrix(H, sigma, x.dtype)
    mw = gaussian_matrix(W, sigma, x.dtype)
    return torch.matmul(torch.matmul(mh, x), mw.transpose(0, 1))  # along H, then along W


def gen_image():
    lo, hi = [-1.0, -0.5, 0.0], [1.0, 0.5, 2.0]

    def clamp_build(g):
        x = randn(g, 2, 3, 4, 5)
        for c in range(3):
            x[:, c] = away(x[:, c], [lo[c], hi[c]], 0.01)
        x[0, 0, 0, 0], x[1, 1, 2, 3], x[0, 2, 3, 4], x[1, 0, 1, 1] = lo[0], hi[1], lo[2], hi[0]
        return {'x': x}

    lo_t = torch.tensor(lo).view(1, 3, 1, 1)
    hi_t = torch.tensor(hi).view(1, 3, 1, 1)
    cases = [
        one('roll_2x3x5x7_(2,-3)', 'roll', {'shiftY': 2, 'shiftX': -3}, lambda g: {'x': randn(g, 2, 3, 5, 7)},
            lambda t: torch.roll(t['x'], (2, -3), dims=(-2, -1)), 801),
        one('roll_3x4x6_(-6,10)', 'roll', {'shiftY': -6, 'shiftX': 10}, lambda g: {'x': randn(g, 3, 4, 6)},
            lambda t: torch.roll(t['x'], (-6, 10), dims=(-2, -1)), 802),
        one('gaussian_blur_1x2x9x8_sigma1', 'gaussian_blur', {'sigma': 1.0}, lambda g: {'x': randn(g, 1, 2, 9, 8)},
            lambda t: blur(t['x'], 1.0), 803),
        one('gaussian_blur_2x1x6x7_sigma0.5', 'gaussian_blur', {'sigma': 0.5}, lambda g: {'x': randn(g, 2, 1, 6, 7)},
            lambda t: blur(t['x'], 0.5), 804),
        # radius 10 on a 6x5 image: the reflection wraps more than once
        one('gaussian_blur_1x1x6x5_sigma2.5', 'gaussian_blur', {'sigma': 2.5}, lambda g: {'x': randn(g, 1, 1, 6, 5)},
            lambda t: blur(t['x'], 2.5), 805),
        one('clamp_channels_2x3x4x5', 'clamp_channels', {'lo': lo, 'hi': hi}, clamp_build,
            lambda t: torch.clamp(t['x'], lo_t.to(t['x'].dtype), hi_t.to(t['x'].dtype)), 806),
    ]
    write('image.json', 'image', cases)


def max_over(x, axes, keep):
    """Max over `axes` with the gradient to the first maximum in row-major order of the reduced axes
    (torch.max(dim) after moving the reduced axes last and flattening them)."""
    kept = [d for d in range(x.dim()) if d not in axes]
    y = x.permute(kept + list(axes)).reshape([x.shape[d] for d in kept] + [-1]).max(-1).values
    if keep:
        y = y.reshape([1 if d in axes else x.shape[d] for d in range(x.dim())])
    return y


def distinct_max_build(shape, axes, gap=1e-3):
    def build(g):
        x = randn(g, *shape)
        kept = [d for d in range(len(shape)) if d not in axes]
        flat = x.permute(kept + list(axes)).reshape([-1, math.prod(shape[d] for d in axes)])
        top2 = flat.topk(2, dim=1).values
        assert (top2[:, 0] - top2[:, 1]).min().item() > gap, 'near tie in a max group: pick another seed'
        return {'x': x}
    return build


def gen_reduce():
    cases = [
        one('sum_2x3x4_axis1', 'sum', {'axes': [1], 'keepDims': False}, lambda g: {'x': randn(g, 2, 3, 4)},
            lambda t: t['x'].sum(1), 901),
        one('sum_2x3x4_axes02_keep', 'sum', {'axes': [0, 2], 'keepDims': True}, lambda g: {'x': randn(g, 2, 3, 4)},
            lambda t: t['x'].sum((0, 2), keepdim=True), 902),
        one('sum_3x5_all', 'sum', {'axes': None, 'keepDims': False}, lambda g: {'x': randn(g, 3, 5)},
            lambda t: t['x'].sum(), 903),
        one('mean_2x3x4x5_axes23', 'mean', {'axes': [2, 3], 'keepDims': False}, lambda g: {'x': randn(g, 2, 3, 4, 5)},
            lambda t: t['x'].mean((2, 3)), 904),
        one('mean_4x3_axis0_keep', 'mean', {'axes': [0], 'keepDims': True}, lambda g: {'x': randn(g, 4, 3)},
            lambda t: t['x'].mean(0, keepdim=True), 905),
        one('max_over_axis_2x5x3_axis1', 'max_over_axis', {'axes': [1], 'keepDims': False}, distinct_max_build((2, 5, 3), [1]),
            lambda t: max_over(t['x'], [1], False), 906),
        one('max_over_axis_2x3x4x5_axes123_keep', 'max_over_axis', {'axes': [1, 2, 3], 'keepDims': True},
            distinct_max_build((2, 3, 4, 5), [1, 2, 3]), lambda t: max_over(t['x'], [1, 2, 3], True), 907),
        one('max_over_axis_3x4x5_axes02', 'max_over_axis', {'axes': [0, 2], 'keepDims': False}, distinct_max_build((3, 4, 5), [0, 2]),
            lambda t: max_over(t['x'], [0, 2], False), 908),
        # integers in {0, 1, 2}: tied maxima; torch.max(dim) sends the gradient to the first one
        one('max_over_axis_ties_4x6_axis1', 'max_over_axis', {'axes': [1], 'keepDims': False},
            lambda g: {'x': torch.randint(0, 3, (4, 6), generator=g).to(torch.float32)}, lambda t: max_over(t['x'], [1], False), 909),
    ]
    write('reduce.json', 'reduce', cases)


def gen_gather():
    cases = [
        one('gather_rows_4x6', 'gather_rows', {'index': [5, 0, 3, 3]}, lambda g: {'x': randn(g, 4, 6)},
            lambda t: t['x'][torch.arange(4), torch.tensor([5, 0, 3, 3])], 1001),
        one('take_rows_5x3x2_repeats', 'take_rows', {'index': [4, 0, 4, 2]}, lambda g: {'x': randn(g, 5, 3, 2)},
            lambda t: t['x'].index_select(0, torch.tensor([4, 0, 4, 2])), 1002),
        one('slice_3x4x5_axis1_1to3', 'slice', {'axis': 1, 'start': 1, 'end': 3}, lambda g: {'x': randn(g, 3, 4, 5)},
            lambda t: t['x'].narrow(1, 1, 2), 1003),
        one('slice_3x4x5_axis0_2to3', 'slice', {'axis': 0, 'start': 2, 'end': 3}, lambda g: {'x': randn(g, 3, 4, 5)},
            lambda t: t['x'].narrow(0, 2, 1), 1004),
        one('slice_2x3x6_axis2_0to4', 'slice', {'axis': 2, 'start': 0, 'end': 4}, lambda g: {'x': randn(g, 2, 3, 6)},
            lambda t: t['x'].narrow(2, 0, 4), 1005),
    ]
    write('gather.json', 'gather', cases)


# ---------------- channelDot ----------------
# out[n, ...s] = sum_c x[n, c, ...s] w[n, c]: torch.einsum over the channel axis.

def gen_channel_dot():
    def case(name, N, C, rest, seed):
        def build(g):
            return {'x': randn(g, N, C, *rest), 'w': randn(g, N, C)}
        sub = 'nc' + 'hwd'[:len(rest)]
        return one(name, 'channel_dot', {}, build, lambda t: torch.einsum(f'{sub},nc->n{sub[2:]}', t['x'], t['w']), seed)
    cases = [
        case('channel_dot_1x7x13x13', 1, 7, [13, 13], 1101),
        case('channel_dot_3x5x3', 3, 5, [3], 1102),
        case('channel_dot_2x9x2x3', 2, 9, [2, 3], 1103),
    ]
    write('channel_dot.json', 'channel_dot', cases)


# ---------------- non-finite values (NaN, ±Inf) ----------------
# tests/fixtures/ops/nonfinite.json: PyTorch's NaN / Inf semantics for the ops whose kernels decide them
# (relu, clamp, maximum, the fused conv + ReLU epilogue and its gradient mask, max-pool and its routing,
# softmax / logSoftmax, the reductions, clampChannels) and for a few that only need arithmetic to carry them.
# Values are JSON numbers, or the strings "NaN", "Infinity", "-Infinity". float64 and float32 runs must give
# the same non-finite pattern and agree to 1e-5 elsewhere (no case overflows in float32).

NAN, INF = float('nan'), float('inf')


def nf(v):
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return 'Infinity' if v > 0 else '-Infinity'
    r = float(f'{v:.9g}')
    return 0.0 if r == 0 else r


def arr_nf(t):
    t = t.detach().to(torch.float64).contiguous()
    return {'shape': list(t.shape), 'data': [nf(v) for v in t.reshape(-1).tolist()]}


def same_nonfinite(a, b):
    """Same NaN / ±Inf positions, and relative error of the finite rest."""
    a, b = a.double(), b.double()
    if not torch.equal(a.isnan(), b.isnan()) or not torch.equal(a.isinf(), b.isinf()):
        return False, None
    inf = a.isinf()
    if not torch.equal(a[inf], b[inf]):
        return False, None
    fin = a.isfinite()
    if not bool(fin.any()):
        return True, 0.0
    return True, rel_err(a[fin], b[fin])


def nf_case(name, op, params, inputs, fn, R):
    """inputs: ordered dict of float32 tensors (with NaN / Inf); R: float32 of the output's shape."""
    res = {}
    for dt in (torch.float64, torch.float32):
        leaves = {k: v.to(dt).clone().requires_grad_(True) for k, v in inputs.items()}
        out = fn(leaves)
        grads = torch.autograd.grad((out * R.to(dt)).sum(), list(leaves.values()))
        res[dt] = (out.detach(), dict(zip(leaves.keys(), grads)))
    (o64, g64), (o32, g32) = res[torch.float64], res[torch.float32]
    errs = []
    for a, b, what in [(o32, o64, 'out')] + [(g32[k], g64[k], f'd/d {k}') for k in inputs]:
        ok, e = same_nonfinite(a, b)
        if not ok:
            raise AssertionError(f'{name}: {what}: float32 and float64 differ in their non-finite values')
        errs.append(e)
    f32 = max(errs)
    assert f32 <= F32_TOL, f'{name}: float32 and float64 disagree by {f32:.3g}'
    n_nf = int((~o64.isfinite()).sum()) + sum(int((~g.isfinite()).sum()) for g in g64.values())
    print(f'{op:20s} {name:32s} out {list(o64.shape)}  non-finite values {n_nf}  f32 rel err {f32:.2e}')
    return {
        'name': name,
        'op': op,
        'params': params,
        'inputs': [dict(name=k, **arr_nf(v)) for k, v in inputs.items()],
        'R': arr_nf(R),
        'out': arr_nf(o64),
        'grads': {k: arr_nf(v) for k, v in g64.items()},
        'f32_rel_err': flt(f32),
    }


def gen_nonfinite():
    g = torch.Generator().manual_seed(1234)
    rn = lambda *shape: torch.randn(*shape, generator=g, dtype=torch.float32)
    vals = torch.tensor([NAN, -1.5, 0.0, 2.0, INF, -INF, 0.5, NAN, -0.25, 3.0, INF, -2.0])
    v8 = vals[:8].clone()  # a multiple of 4 (the vec4 kernels)
    v7 = vals[:7].clone()  # not (the scalar kernels)
    cases = []
    for x, tag in [(v8, '8'), (v7, '7')]:
        cases.append(nf_case(f'relu_{tag}', 'relu', {}, {'x': x}, lambda t: F.relu(t['x']), rn(*x.shape)))
        cases.append(nf_case(f'clamp_{tag}', 'clamp', {'lo': -0.5, 'hi': 1.5}, {'x': x},
                             lambda t: torch.clamp(t['x'], -0.5, 1.5), rn(*x.shape)))
    for op, f in [('abs', torch.abs), ('neg', torch.neg), ('square', torch.square), ('sqrt', torch.sqrt),
                  ('exp', torch.exp), ('log', torch.log)]:
        cases.append(nf_case(f'{op}_12', op, {}, {'x': vals.clone()}, lambda t, f=f: f(t['x']), rn(12)))
    a = torch.tensor([NAN, 1.0, NAN, 2.0, INF, 3.0, -INF, 0.5])
    b = torch.tensor([1.0, NAN, NAN, 2.0, INF, -INF, -INF, -0.5])
    cases.append(nf_case('maximum_8', 'maximum', {}, {'a': a, 'b': b}, lambda t: torch.maximum(t['a'], t['b']), rn(8)))
    cases.append(nf_case('maximum_bcast_2x4_4', 'maximum', {}, {'a': a.view(2, 4), 'b': torch.tensor([0.0, NAN, 1.0, -INF])},
                         lambda t: torch.maximum(t['a'], t['b']), rn(2, 4)))
    cases.append(nf_case('maximum_scalar_7', 'maximum', {'b': 0.25}, {'x': v7}, lambda t: torch.maximum(t['x'], torch.tensor(0.25, dtype=t['x'].dtype)), rn(7)))
    rows = torch.tensor([
        [NAN, 1.0, 2.0, 3.0],
        [1.0, INF, 0.0, 2.0],
        [1.0, -INF, 0.0, 2.0],
        [-INF, -INF, -INF, -INF],
        [INF, INF, 1.0, 2.0],
        [0.5, 1.0, -1.0, 2.0],
    ])
    cases.append(nf_case('softmax_6x4', 'softmax', {'axis': -1}, {'x': rows}, lambda t: torch.softmax(t['x'], -1), rn(6, 4)))
    cases.append(nf_case('log_softmax_6x4', 'log_softmax', {'axis': -1}, {'x': rows}, lambda t: torch.log_softmax(t['x'], -1), rn(6, 4)))
    cases.append(nf_case('softmax_4x6_axis0', 'softmax', {'axis': 0}, {'x': rows.t().contiguous()}, lambda t: torch.softmax(t['x'], 0), rn(4, 6)))
    red = torch.tensor([
        [1.0, NAN, NAN],
        [NAN, 1.0, NAN],
        [1.0, 2.0, NAN],
        [INF, NAN, 1.0],
        [-INF, -INF, -INF],
        [INF, -INF, 1.0],
        [2.0, 2.0, 1.0],
    ])
    cases.append(nf_case('sum_7x3_axis1', 'sum', {'axes': [1], 'keepDims': False}, {'x': red}, lambda t: t['x'].sum(1), rn(7)))
    cases.append(nf_case('mean_7x3_axis1', 'mean', {'axes': [1], 'keepDims': False}, {'x': red}, lambda t: t['x'].mean(1), rn(7)))
    cases.append(nf_case('max_over_axis_7x3_axis1', 'max_over_axis', {'axes': [1], 'keepDims': False}, {'x': red},
                         lambda t: max_over(t['x'], [1], False), rn(7)))
    red3 = torch.tensor([[[1.0, 2.0], [NAN, 0.0]], [[-1.0, INF], [3.0, NAN]], [[0.0, 1.0], [2.0, -INF]]])
    cases.append(nf_case('max_over_axis_3x2x2_axes12_keep', 'max_over_axis', {'axes': [1, 2], 'keepDims': True}, {'x': red3},
                         lambda t: max_over(t['x'], [1, 2], True), rn(3, 1, 1)))
    cases.append(nf_case('max_over_axis_3x2x2_axis0', 'max_over_axis', {'axes': [0], 'keepDims': False}, {'x': red3},
                         lambda t: max_over(t['x'], [0], False), rn(2, 2)))
    p4 = torch.tensor([[[[1.0, NAN, 3.0, 0.0], [2.0, 5.0, NAN, -INF], [INF, 1.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0]]]])
    cases.append(nf_case('max_pool2d_k2s1_1x1x4x4', 'max_pool2d', {'kernel': 2, 'stride': 1, 'padding': 0, 'ceilMode': False},
                         {'x': p4}, lambda t: F.max_pool2d(t['x'], 2, 1), rn(1, 1, 3, 3)))
    cases.append(nf_case('max_pool2d_k3s2_ceil_1x1x4x4', 'max_pool2d', {'kernel': 3, 'stride': 2, 'padding': 0, 'ceilMode': True},
                         {'x': p4}, lambda t: F.max_pool2d(t['x'], 3, 2, ceil_mode=True), rn(1, 1, 2, 2)))
    # several NaNs in one window: PyTorch's CPU kernel keeps the LAST NaN in row-major window order
    p5 = rn(1, 2, 5, 5)
    for (c, h, w) in [(0, 0, 0), (0, 0, 2), (0, 1, 1), (1, 2, 2), (1, 4, 4), (1, 3, 0)]:
        p5[0, c, h, w] = NAN
    p5[0, 0, 3, 3], p5[0, 1, 0, 4], p5[0, 1, 1, 0] = INF, -INF, INF
    cases.append(nf_case('max_pool2d_k3s2_p1_ceil_1x2x5x5', 'max_pool2d', {'kernel': 3, 'stride': 2, 'padding': 1, 'ceilMode': True},
                         {'x': p5}, lambda t: F.max_pool2d(t['x'], 3, 2, 1, ceil_mode=True), rn(1, 2, 3, 3)))
    cases.append(nf_case('avg_pool2d_k2s2_1x2x5x5', 'avg_pool2d', {'kernel': 2, 'stride': 2, 'padding': 0, 'ceilMode': False, 'countIncludePad': True},
                         {'x': p5}, lambda t: F.avg_pool2d(t['x'], 2, 2), rn(1, 2, 2, 2)))
    cc = rn(2, 3, 2, 2)
    cc[0, 0, 0, 0], cc[0, 1, 1, 1], cc[1, 2, 0, 1], cc[1, 0, 1, 0] = NAN, INF, -INF, NAN
    lo, hi = [-1.0, -0.5, 0.0], [1.0, 0.5, 2.0]
    cases.append(nf_case('clamp_channels_2x3x2x2', 'clamp_channels', {'lo': lo, 'hi': hi}, {'x': cc},
                         lambda t: torch.clamp(t['x'], torch.tensor(lo, dtype=t['x'].dtype).view(1, 3, 1, 1),
                                               torch.tensor(hi, dtype=t['x'].dtype).view(1, 3, 1, 1)), rn(2, 3, 2, 2)))

    # conv2d with the fused ReLU (every conv path: 3x3 stride 1, stride 2, 1x1) and the fire-module expand
    def conv_nf(name, N, Cin, H, Wd, Cout, k, stride, pad, nan_x=(), inf_x=(), nan_w=()):
        x = rn(N, Cin, H, Wd)
        w = rn(Cout, Cin, k, k) * math.sqrt(2.0 / (Cin * k * k))
        b = rn(Cout) * 0.1
        for i in nan_x:
            x[i] = NAN
        for i, v in inf_x:
            x[i] = v
        for i in nan_w:
            w[i] = NAN
        Ho = (H + 2 * pad - k) // stride + 1
        Wo = (Wd + 2 * pad - k) // stride + 1
        return nf_case(name, 'conv2d', {'stride': stride, 'padding': pad, 'activation': 'relu'}, {'x': x, 'w': w, 'b': b},
                       lambda t: F.relu(F.conv2d(t['x'], t['w'], t['b'], stride=stride, padding=pad)), rn(N, Cout, Ho, Wo))

    cases += [
        conv_nf('conv3x3_s1_p1_relu_nan_inf_x', 2, 3, 5, 6, 4, 3, 1, 1, nan_x=[(0, 1, 2, 3)], inf_x=[((1, 0, 0, 5), INF), ((1, 2, 4, 1), -INF)]),
        conv_nf('conv3x3_s1_p1_relu_nan_w', 1, 3, 5, 6, 4, 3, 1, 1, nan_w=[(2, 1, 0, 0)]),
        conv_nf('conv3x3_s2_p0_relu_nan_x', 1, 2, 9, 8, 6, 3, 2, 0, nan_x=[(0, 1, 4, 4)]),
        conv_nf('conv1x1_relu_nan_inf_x', 2, 6, 3, 4, 5, 1, 1, 0, nan_x=[(0, 3, 1, 2)], inf_x=[((1, 5, 2, 3), INF)]),
        conv_nf('conv1x1_relu_nan_w', 1, 5, 3, 4, 8, 1, 1, 0, nan_w=[(3, 2, 0, 0)]),
    ]
    s = torch.relu(rn(1, 4, 5, 6))
    s[0, 2, 1, 3] = NAN
    s[0, 0, 4, 0] = INF
    w1 = rn(3, 4, 1, 1) * 0.7
    b1 = rn(3) * 0.1
    w3 = rn(5, 4, 3, 3) * 0.25
    b3 = rn(5) * 0.1
    cases.append(nf_case('fire_expand_nan_inf_s', 'fire_expand', {}, {'s': s, 'w1': w1, 'b1': b1, 'w3': w3, 'b3': b3},
                         lambda t: torch.cat([F.relu(F.conv2d(t['s'], t['w1'], t['b1'])), F.relu(F.conv2d(t['s'], t['w3'], t['b3'], padding=1))], 1),
                         rn(1, 8, 5, 6)))
    path = os.path.join(OUT_DIR, 'nonfinite.json')
    doc = {
        'op': 'nonfinite',
        'generator': 'scripts/gen_op_fixtures.py',
        'torch': torch.__version__,
        'reference': 'float64 computation from the float32 inputs; values rounded to 9 significant digits; '
                     'non-finite values as the strings NaN, Infinity, -Infinity',
        'loss': 'sum(out * R)',
        'cases': cases,
    }
    with open(path, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path) / 1024:.1f} KiB)')


if __name__ == '__main__':
    torch.manual_seed(0)
    gen_conv()
    gen_maxpool()
    gen_avgpool()
    gen_cat()
    gen_fire()
    gen_elementwise()
    gen_softmax()
    gen_image()
    gen_reduce()
    gen_gather()
    gen_channel_dot()
    gen_nonfinite()
