#!/usr/bin/python3
"""PyTorch CPU peer for `npm run bench -- peers`: torchvision squeezenet1_1 on 2 threads, the same workloads
as `gradsight bench`, printed as one JSON object on the last line of stdout.

    /usr/bin/python3 bench/torch_peer.py [--batches 1,5] [--runs 7] [--warmup 2] [--weights f.pth] [--random-weights]

Workloads (keys carry the batch size, as gradsight bench's):
  forward_bN         logits of N images (224x224)
  saliency_bN        |d(sum_i score[i, y_i]) / dx| max over channels (vanilla saliency)
  fooling_iter_bN    one step of src/viz/fooling.ts: x <- clamp(x + g / ||g||_2 * active) per image, g of the
                     target scores, active = not yet classified as the target
  classviz_step_bN   roll, d(score - 1e-3 ||x||^2)/dx, x + 25 g, roll back, clamp, Gaussian blur (sigma 0.5)
Weights: ../shared/weights/squeezenet1_1.pth when present (else random N(0, 0.05); timing does not depend on them).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
LO = [-m / s for m, s in zip(MEAN, STD)]
HI = [(1 - m) / s for m, s in zip(MEAN, STD)]
HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, '..', '..', 'shared', 'weights', 'squeezenet1_1.pth'))


def build(weights, random_weights):
    model = torchvision.models.squeezenet1_1()
    src = 'random N(0, 0.05)'
    path = weights or SHARED
    if not random_weights and os.path.exists(path):
        model.load_state_dict(torch.load(path, map_location='cpu'))
        src = os.path.relpath(path)
    else:
        g = torch.Generator().manual_seed(1)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    return model.eval(), src


def blur_kernel(sigma, channels):
    r = max(1, int(4 * sigma + 0.5))
    k = torch.tensor([math.exp(-(i * i) / (2 * sigma * sigma)) for i in range(-r, r + 1)])
    k = k / k.sum()
    kx = k.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    ky = k.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)
    return kx, ky, r


def workloads(model, n):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(n, 3, 224, 224, generator=g)
    targets = torch.tensor([(i * 97 + 1) % 1000 for i in range(n)])
    lo = torch.tensor(LO).view(1, 3, 1, 1)
    hi = torch.tensor(HI).view(1, 3, 1, 1)
    kx, ky, r = blur_kernel(0.5, 3)
    state = {'jit': 0}

    def input_grad(xx, objective):
        xi = xx.detach().requires_grad_(True)
        (gx,) = torch.autograd.grad(objective(xi), [xi])
        return xi, gx

    def forward():
        with torch.no_grad():
            return model(x)

    def saliency():
        _, gx = input_grad(x, lambda xi: model(xi).gather(1, targets[:, None]).sum())
        return gx.abs().amax(1)

    def fooling_iter():
        # As src/viz/fooling.ts: step only the images not yet fooled (target score below the top score).
        xi = x.detach().requires_grad_(True)
        logits = model(xi)
        tgt = logits.gather(1, targets[:, None]).squeeze(1)
        active = (logits.detach().amax(1) > tgt.detach()).float().view(-1, 1, 1, 1)
        (gx,) = torch.autograd.grad(tgt.sum(), [xi])
        norm = gx.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
        return torch.clamp(x + gx / (norm + 1e-12) * active, lo, hi)

    def classviz_step():
        state['jit'] = (state['jit'] + 5) % 17
        oy, ox = state['jit'], (state['jit'] * 7) % 17
        x1 = x[:1].roll((oy, ox), (2, 3))
        xi, gx = input_grad(x1, lambda xi: model(xi)[0, targets[0]] - 1e-3 * (xi * xi).sum())
        with torch.no_grad():
            y = torch.clamp((xi + 25 * gx).roll((-oy, -ox), (2, 3)), lo, hi)
            y = F.conv2d(F.pad(y, (r, r, 0, 0), mode='reflect'), kx, groups=3)
            return F.conv2d(F.pad(y, (0, 0, r, r), mode='reflect'), ky, groups=3)

    return {'forward': forward, 'saliency': saliency, 'fooling_iter': fooling_iter, 'classviz_step': classviz_step}


def time_it(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return {'median_ms': round(statistics.median(ts), 3), 'min_ms': round(min(ts), 3), 'runs': runs}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--batches', default='1,5', help='comma-separated batch sizes for forward/saliency (default 1,5)')
    ap.add_argument('--runs', type=int, default=7)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--weights', default=None)
    ap.add_argument('--random-weights', action='store_true')
    a = ap.parse_args()
    try:
        batches = [int(b) for b in a.batches.split(',') if b.strip()]
        assert batches and all(b >= 1 for b in batches)
    except (ValueError, AssertionError):
        ap.error(f'--batches expects positive integers like 1,5; got {a.batches!r}')
    torch.set_num_threads(a.threads)
    model, src = build(a.weights, a.random_weights)
    results = {}
    for n in batches:
        w = workloads(model, n)
        for name in ['forward', 'saliency'] + (['fooling_iter', 'classviz_step'] if n == 1 else []):
            results[f'{name}_b{n}'] = time_it(w[name], a.runs, a.warmup)
            print(f'{name}_b{n}: {results[f"{name}_b{n}"]["median_ms"]:.1f} ms', file=sys.stderr)
    print(json.dumps({
        'peer': 'pytorch-cpu',
        'torch': torch.__version__,
        'torchvision': torchvision.__version__,
        'threads': torch.get_num_threads(),
        'blas': next((t.split('=', 1)[1] for t in torch.__config__.show().replace(',', ' ').split() if t.startswith('BLAS_INFO=')), 'unknown'),
        'mkldnn': torch.backends.mkldnn.is_available(),
        'weights': src,
        'results': results,
    }))


if __name__ == '__main__':
    main()
