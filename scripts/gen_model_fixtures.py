#!/usr/bin/python3
"""Model-level golden fixtures: SqueezeNet 1.1 (torchvision layout) on the 25 cs231n ImageNet images.

Run with Debian's interpreter (torch 1.13, torchvision 0.14):   /usr/bin/python3 scripts/gen_model_fixtures.py
Needs /work/shared (or ../shared relative to the repository root): weights/squeezenet1_1.pth and
images/imagenet_val_25/*.png + labels.json. Writes tests/fixtures/model/:

  logits25.npy     float32 [25, 1000]  model(X) for the 25 images (file-name order)
  labels25.json    file names, true labels (labels.json), torch's top-1 and top-5, top-1 accuracy
  saliency25_part{0..4}.npy float16 [5, 224, 224] each (images 5k..5k+4)  vanilla saliency: max over RGB of |d(sum_i scores[i, y_i]) / dX|
  trace_img0.json  image 0 and its true label: per layer (input, features.0 … features.12, classifier.0 … 3)
                   activation shape, min / max / mean, and the gradient of the class score at that activation:
                   L2 norm, max |g|, fraction of exact zeros
"""
import json
import os
import sys

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms

torch.set_num_threads(2)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'tests', 'fixtures', 'model')
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
EXPECTED_TOP1 = 12


def shared_dir():
    for d in (os.path.join(ROOT, '..', 'shared'), '/work/shared'):
        if os.path.isdir(d):
            return os.path.normpath(d)
    sys.exit('gen_model_fixtures: ../shared (weights and images) not found')


def load_model(shared):
    model = torchvision.models.squeezenet1_1()
    sd = torch.load(os.path.join(shared, 'weights', 'squeezenet1_1.pth'), map_location='cpu')
    model.load_state_dict(sd)
    model.eval()
    # torchvision's ReLUs are in place; out-of-place ones compute the same values but let the hooks see each
    # layer's own output tensor (an in-place ReLU would overwrite the conv output the hook captured).
    for m in model.modules():
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def load_images(shared):
    img_dir = os.path.join(shared, 'images', 'imagenet_val_25')
    with open(os.path.join(img_dir, 'labels.json')) as f:
        meta = {e['file']: e for e in json.load(f)}
    files = sorted(f for f in os.listdir(img_dir) if f.endswith('.png'))
    assert len(files) == 25, f'expected 25 PNGs, found {len(files)}'
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    xs = []
    for f in files:
        img = Image.open(os.path.join(img_dir, f)).convert('RGB')
        assert img.size == (224, 224), f'{f}: size {img.size}'
        xs.append(tf(img))
    X = torch.stack(xs)
    labels = [int(meta[f]['label']) for f in files]
    names = [meta[f]['name'] for f in files]
    return files, labels, names, X


def stats(t):
    t = t.detach().double()
    return {'min': t.min().item(), 'max': t.max().item(), 'mean': t.mean().item()}


def grad_stats(g):
    g = g.detach().double()
    return {
        'grad_norm': g.norm().item(),
        'grad_max_abs': g.abs().max().item(),
        'grad_zero_frac': (g == 0).double().mean().item(),
    }


def trace(model, x, label):
    """Forward hooks on every top-level layer; tensor hooks for the gradient of scores[0, label]."""
    layers = []
    handles = []

    def add(name, kind, t):
        entry = {'name': name, 'type': kind, 'shape': list(t.shape), **stats(t)}
        layers.append(entry)
        t.register_hook(lambda g, e=entry: e.update(grad_stats(g)))

    for prefix, seq in (('features', model.features), ('classifier', model.classifier)):
        for i, m in enumerate(seq):
            name = f'{prefix}.{i}'
            handles.append(m.register_forward_hook(lambda mod, inp, out, n=name: add(n, type(mod).__name__, out)))
    x = x.clone().requires_grad_(True)
    add('input', 'Input', x)
    scores = model(x)
    score = scores[0, label]
    score.backward()
    for h in handles:
        h.remove()
    for e in layers:
        assert 'grad_norm' in e, f'no gradient reached {e["name"]}'
    return score.item(), layers


def main():
    shared = shared_dir()
    model = load_model(shared)
    files, labels, names, X = load_images(shared)
    y = torch.tensor(labels)
    os.makedirs(OUT_DIR, exist_ok=True)

    # Logits and the vanilla saliency map of the true class, in one forward/backward over the batch.
    Xg = X.clone().requires_grad_(True)
    scores = model(Xg)
    scores.gather(1, y[:, None]).sum().backward()
    saliency = Xg.grad.abs().amax(dim=1)
    logits = scores.detach()

    top5 = logits.topk(5, dim=1).indices
    top1 = top5[:, 0]
    correct = int((top1 == y).sum())
    print(f'top-1 accuracy on the 25 images: {correct}/25')
    if correct != EXPECTED_TOP1:
        sys.exit(f'gen_model_fixtures: expected {EXPECTED_TOP1}/25 top-1 correct, got {correct}/25')

    np.save(os.path.join(OUT_DIR, 'logits25.npy'), logits.numpy().astype(np.float32))
    # Five files of five images each, so no fixture file reaches 1 MiB.
    sal16 = saliency.numpy().astype(np.float16)
    for part in range(5):
        np.save(os.path.join(OUT_DIR, f'saliency25_part{part}.npy'), sal16[part * 5:(part + 1) * 5])
    with open(os.path.join(OUT_DIR, 'labels25.json'), 'w') as f:
        json.dump({
            'generator': 'scripts/gen_model_fixtures.py',
            'torch': torch.__version__,
            'torchvision': torchvision.__version__,
            'weights': 'shared/weights/squeezenet1_1.pth',
            'top1_correct': correct,
            'images': [
                {'file': fi, 'label': lab, 'name': nm, 'top1': int(t1), 'top5': [int(v) for v in t5]}
                for fi, lab, nm, t1, t5 in zip(files, labels, names, top1.tolist(), top5.tolist())
            ],
        }, f, indent=1)
        f.write('\n')

    score, layers = trace(model, X[:1], labels[0])
    assert abs(score - logits[0, labels[0]].item()) < 1e-3, 'trace forward differs from the batch forward'
    head = {
        'generator': 'scripts/gen_model_fixtures.py',
        'torch': torch.__version__,
        'image': files[0],
        'label': labels[0],
        'name': names[0],
        'score': score,
        'gradient_of': 'scores[0, label] (the raw class score, before softmax)',
    }
    with open(os.path.join(OUT_DIR, 'trace_img0.json'), 'w') as f:
        # one layer per line, for readable diffs
        body = ',\n'.join('  ' + json.dumps(e) for e in layers)
        f.write(json.dumps(head, indent=1)[:-2] + ',\n "layers": [\n' + body + '\n ]\n}\n')

    for fn in sorted(os.listdir(OUT_DIR)):
        print(f'wrote tests/fixtures/model/{fn} ({os.path.getsize(os.path.join(OUT_DIR, fn)) / 1024:.1f} KiB)')
    print(f'image 0 ({files[0]}, label {labels[0]}): score {score:.4f}; saliency max {saliency[0].max().item():.4g}')


if __name__ == '__main__':
    main()
