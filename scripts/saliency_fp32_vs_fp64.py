#!/usr/bin/python3
"""PyTorch against itself: vanilla saliency of the 25 sample images in float32 vs float64 (relative L2 per
image). Shows that ReLU / max-pool near-ties change float32 maps in patches. /usr/bin/python3 scripts/saliency_fp32_vs_fp64.py"""
import sys, os, torch, numpy as np
sys.path.insert(0, 'scripts')
from gen_model_fixtures import load_model, load_images, shared_dir
sh = shared_dir(); m = load_model(sh); files, labels, _, X = load_images(sh)
x = X; y = torch.tensor(labels)
def sal(model, x):
    x = x.clone().requires_grad_(True)
    s = model(x).gather(1, y[:, None]).sum(); (g,) = torch.autograd.grad(s, x); return g.abs().amax(1)
a = sal(m, x)
m64 = load_model(sh).double()
b = sal(m64, x.double()).float()
for i in range(25):
    print(i, ((a[i]-b[i]).norm()/b[i].norm()).item())
