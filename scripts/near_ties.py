#!/usr/bin/python3
"""Smallest ReLU input and max-pool top-2 gap (relative to the layer maximum) per sample image, in float64:
why float32 saliency maps from two implementations can differ in small patches. /usr/bin/python3 scripts/near_ties.py"""
import sys, torch, numpy as np, torch.nn.functional as F
sys.path.insert(0, 'scripts')
from gen_model_fixtures import load_model, load_images, shared_dir
torch.set_num_threads(2)
sh = shared_dir(); m = load_model(sh).double(); files, labels, _, X = load_images(sh)
gaps = []
def relu_hook(mod, inp, out):
    z = inp[0].detach()
    rec.append(('relu', (z.abs() / z.abs().amax(dim=(1,2,3), keepdim=True)).flatten(1).min(1).values))
def pool_hook(mod, inp, out):
    z = inp[0].detach()
    n, c, h, w = z.shape
    zp = F.pad(z, (0, 2, 0, 2), value=-1e30)
    u = zp.unfold(2, 3, 2).unfold(3, 3, 2)[:, :, :out.shape[2], :out.shape[3]].reshape(n, c, out.shape[2], out.shape[3], 9)
    t = u.topk(2, dim=-1).values
    gap = (t[..., 0] - t[..., 1]) / z.amax(dim=(1,2,3), keepdim=True)[..., None].squeeze(-1)
    gap = torch.where((t[..., 0] > 0) & (gap > 0), gap, torch.full_like(gap, 1.0))
    rec.append(('pool', gap.flatten(1).min(1).values))
for mod in m.modules():
    if isinstance(mod, torch.nn.ReLU): mod.register_forward_hook(relu_hook)
    if isinstance(mod, torch.nn.MaxPool2d): mod.register_forward_hook(pool_hook)
rec = []
with torch.no_grad(): m(X.double())
relu = torch.stack([r for k, r in rec if k == 'relu']).min(0).values
pool = torch.stack([r for k, r in rec if k == 'pool']).min(0).values
for i in range(25): print(i, '%.2e %.2e' % (relu[i].item(), pool[i].item()))
