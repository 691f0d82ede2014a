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


def avgpool_case(name, shape, k, s, p, seed):
    def build(g):
        return {'x': randn(g, *shape)}

    def fn(t, probe):
        return F.avg_pool2d(t['x'], k, s, p, ceil_mode=False, count_include_pad=True)

    params = {'kernel': k, 'stride': s, 'padding': p, 'ceilMode': False, 'countIncludePad': True}
    return make_case(name, 'avg_pool2d', params, build, fn, seed)


def gen_avgpool():
    def gap_build(g):
        return {'x': randn(g, 2, 5, 6, 7)}

    cases = [
        avgpool_case('k2s2_2x3x7x9', (2, 3, 7, 9), 2, 2, 0, 301),
        avgpool_case('k3s2_p1_2x2x9x8', (2, 2, 9, 8), 3, 2, 1, 302),
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


if __name__ == '__main__':
    torch.manual_seed(0)
    gen_conv()
    gen_maxpool()
    gen_avgpool()
    gen_cat()
    gen_fire()
