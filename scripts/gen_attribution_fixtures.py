#!/usr/bin/python3
"""SmoothGrad, Integrated Gradients and Grad-CAM in PyTorch with exactly gradsight's formulas and noise.

Run with Debian's interpreter:   /usr/bin/python3 scripts/gen_attribution_fixtures.py
The SmoothGrad noise comes from scripts/rng.py, the numpy twin of gradsight's Philox4x32-10 generator
(shaders/random.wgsl), so both sides add the same noise. Writes tests/fixtures/model/attr_*.npy (float16
[3, 224, 224], images 0..2 of imagenet_val_25 with their true labels):

  attr_smoothgrad.npy   n=4 samples, noise 0.15·(max x − min x) per image, seed 0: sample s uses
                        randn(seed = (0·1000003 + s) mod 2^32, shape [3, 3, 224, 224]); map = max_c |mean_s ∇x|
  attr_ig.npy           baseline zeros, right Riemann sum over 8 steps (α = k/8, k = 1..8);
                        map = max_c |(x − x0) ⊙ Σ_k ∇(x0 + α_k (x − x0)) / 8|
  attr_ig_trapezoid_black.npy  baseline black ((0 − mean)/std), trapezoid over 4 steps
  attr_gradcam.npy      layer features.12: ReLU(Σ_c mean_hw(∂S/∂A_c) A_c), bilinear to 224 (align_corners False)
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rng  # noqa: E402
from gen_model_fixtures import load_model, load_images, shared_dir, OUT_DIR, MEAN, STD  # noqa: E402

N = 3


def input_grad(model, x, y):
    x = x.clone().requires_grad_(True)
    s = model(x).gather(1, y[:, None]).sum()
    (g,) = torch.autograd.grad(s, x)
    return g


def cmax_abs(g):
    return g.abs().amax(dim=1)


def smoothgrad(model, x, y, n=4, noise=0.15, seed=0):
    rng_range = (x.amax(dim=(1, 2, 3), keepdim=True) - x.amin(dim=(1, 2, 3), keepdim=True))
    sigma = noise * rng_range
    acc = torch.zeros_like(x)
    for s in range(n):
        eps = torch.from_numpy(rng.randn((seed * 1000003 + s) % 2**32, tuple(x.shape)).astype(np.float32))
        acc += input_grad(model, x + eps * sigma, y)
    return cmax_abs(acc / n)


def ig(model, x, y, base, steps, rule):
    if rule == 'riemann':
        sched = [((k + 1) / steps, 1 / steps) for k in range(steps)]
    else:
        sched = [(k / steps, (0.5 if k in (0, steps) else 1.0) / steps) for k in range(steps + 1)]
    acc = torch.zeros_like(x)
    for a, w in sched:
        acc += w * input_grad(model, base + a * (x - base), y)
    return cmax_abs((x - base) * acc)


def gradcam(model, x, y):
    acts = {}
    h = model.features[12].register_forward_hook(lambda m, i, o: acts.__setitem__('a', o))
    logits = model(x.clone().requires_grad_(True))
    h.remove()
    a = acts['a']
    (ga,) = torch.autograd.grad(logits.gather(1, y[:, None]).sum(), a)
    cam = F.relu((ga.mean(dim=(2, 3), keepdim=True) * a).sum(1, keepdim=True))
    return F.interpolate(cam, size=x.shape[2:], mode='bilinear', align_corners=False)[:, 0]


def main():
    shared = shared_dir()
    model = load_model(shared)
    files, labels, _, X = load_images(shared)
    x = X[:N]
    y = torch.tensor(labels[:N])
    black = torch.tensor([(0 - m) / s for m, s in zip(MEAN, STD)]).view(1, 3, 1, 1).expand_as(x).contiguous()
    out = {
        'attr_smoothgrad.npy': smoothgrad(model, x, y),
        'attr_ig.npy': ig(model, x, y, torch.zeros_like(x), 8, 'riemann'),
        'attr_ig_trapezoid_black.npy': ig(model, x, y, black, 4, 'trapezoid'),
        'attr_gradcam.npy': gradcam(model, x, y),
    }
    for name, t in out.items():
        path = os.path.join(OUT_DIR, name)
        np.save(path, t.detach().numpy().astype(np.float16))
        print(f'wrote {path} max {t.max().item():.4g}')


if __name__ == '__main__':
    main()
