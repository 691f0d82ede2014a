#!/usr/bin/python3
"""Check gradsight's fooling images in PyTorch: the model, given our fooled tensors, predicts the target.

  node dist/cli.js fool --image ../shared/images/imagenet_val_25.npz:0-24 --target 6 --raw /tmp/fooled.npy
  /usr/bin/python3 scripts/check_fooled.py /tmp/fooled.npy 6
"""
import os
import sys

import numpy as np
import torch
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    path, target = sys.argv[1], int(sys.argv[2])
    weights = sys.argv[3] if len(sys.argv) > 3 else os.path.join(ROOT, '..', 'shared', 'weights', 'squeezenet1_1.pth')
    model = torchvision.models.squeezenet1_1()
    model.load_state_dict(torch.load(weights, map_location='cpu'))
    model.eval()
    x = torch.from_numpy(np.load(path))
    with torch.no_grad():
        logits = model(x)
    pred = logits.argmax(1)
    top2 = logits.topk(2, dim=1).values
    ok = int((pred == target).sum())
    print(f'{ok}/{len(pred)} predicted as {target}; smallest margin {float((top2[:, 0] - top2[:, 1]).min()):.4g}')
    sys.exit(0 if ok == len(pred) else 1)


if __name__ == '__main__':
    main()
