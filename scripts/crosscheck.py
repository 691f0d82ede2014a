#!/usr/bin/python3
"""Cross-check gradsight against PyTorch on weights, images and classes that no test uses.

  /usr/bin/python3 scripts/crosscheck.py [--seed 1234] [--out /tmp/gradsight-crosscheck]

1. New weights: the shared pretrained SqueezeNet 1.1 with every tensor scaled elementwise by
   (1 + 0.1·N(0, 1)) (torch.manual_seed(seed)) — a different network that still classifies — saved as a zip
   .pth, a legacy .pth and an ONNX export.
2. Four new images: crops of the shared photos flipped and resized to non-square sizes, as PNG and JPEG
   (so gradsight's own resize + center crop runs and is compared with torchvision's Resize + CenterCrop).
3. gradsight's CLI (node dist/cli.js) with each weights file: predict --raw on the torchvision-preprocessed
   tensor given as .npy (the model alone), saliency --raw for classes chosen here, fool --raw and classviz
   --raw; PyTorch recomputes each and compares. gradsight's own decode + resize + crop is compared with
   torchvision's separately (JPEG decoders differ by design: jpeg-js vs libjpeg).
Prints a report and exits non-zero when a check fails.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, '..', 'shared')
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def cli(*args):
    r = subprocess.run(['node', os.path.join(ROOT, 'dist', 'cli.js'), *args], capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        sys.exit(f'gradsight {" ".join(args)} failed:\n{r.stderr}')
    return r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=1234)
    ap.add_argument('--out', default='/tmp/gradsight-crosscheck')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(a.seed)
    torch.set_num_threads(2)
    model = torchvision.models.squeezenet1_1()
    sd = torch.load(os.path.join(SHARED, 'weights', 'squeezenet1_1.pth'), map_location='cpu')
    model.load_state_dict({k: v * (1 + 0.1 * torch.randn_like(v)) for k, v in sd.items()})
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    w_zip = os.path.join(a.out, 'random.pth')
    w_legacy = os.path.join(a.out, 'random-legacy.pth')
    w_onnx = os.path.join(a.out, 'random.onnx')
    torch.save(model.state_dict(), w_zip)
    torch.save(model.state_dict(), w_legacy, _use_new_zipfile_serialization=False)
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), w_onnx, opset_version=11, input_names=['x'], output_names=['y'])

    # New images: flipped crops of shared photos at non-square sizes.
    src = sorted(f for f in os.listdir(os.path.join(SHARED, 'images', 'imagenet_val_25')) if f.endswith('.png'))
    files = []
    for k, (name, size, fmt) in enumerate([(src[3], (301, 197), 'png'), (src[11], (190, 260), 'jpg'), (src[17], (257, 257), 'png'), (src[22], (400, 230), 'png')]):
        im = Image.open(os.path.join(SHARED, 'images', 'imagenet_val_25', name)).convert('RGB')
        im = im.transpose(Image.FLIP_LEFT_RIGHT).crop((10, 5, 214, 220)).resize(size, Image.BICUBIC)
        path = os.path.join(a.out, f'x{k}.{fmt}')
        im.save(path, quality=95) if fmt == 'jpg' else im.save(path)
        files.append(path)
    tf = transforms.Compose([transforms.Resize(224), transforms.CenterCrop(224), transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    x = torch.stack([tf(Image.open(f).convert('RGB')) for f in files])
    classes = [7, 101, 555, 999]
    report, ok = {}, True

    xnpy = os.path.join(a.out, 'x.npy')
    np.save(xnpy, x.numpy())
    # gradsight's own image pipeline against torchvision's, per image (max |difference| in normalized units).
    ours_x = os.path.join(a.out, 'x_ours.npy')
    subprocess.run(['node', '--input-type=module', '-e', f'''
import {{ readFileSync, writeFileSync }} from 'node:fs';
import * as g from {json.dumps(os.path.join(ROOT, 'dist', 'index.js'))};
const files = {json.dumps(files)};
const data = g.batchToTensorData(files.map((f) => g.decodeImage(new Uint8Array(readFileSync(f)), f)), 224);
writeFileSync({json.dumps(ours_x)}, g.writeNpy(data, [files.length, 3, 224, 224]));
'''], check=True)
    report['preprocessing max |ours - torchvision| per image'] = (torch.from_numpy(np.load(ours_x)) - x).abs().amax((1, 2, 3)).tolist()
    with torch.no_grad():
        ref = model(x)
    for w in (w_zip, w_legacy, w_onnx):
        out = os.path.join(a.out, 'logits.npy')
        cli('predict', '--weights', w, '--image', xnpy, '--raw', out, '--json')
        ours = torch.from_numpy(np.load(out))
        err = ((ours - ref).abs().max() / ref.abs().max()).item()
        report[f'logits {os.path.basename(w)}'] = err
        ok &= err < 1e-4

    # Vanilla saliency for chosen classes (one class per call).
    xg = x.clone().requires_grad_(True)
    s = model(xg).gather(1, torch.tensor(classes)[:, None]).sum()
    (g,) = torch.autograd.grad(s, xg)
    ref_sal = g.abs().amax(1)
    errs = []
    for i in range(len(files)):
        out = os.path.join(a.out, 'sal.npy')
        one = os.path.join(a.out, f'x{i}.npy')
        np.save(one, x[i:i + 1].numpy())
        cli('saliency', '--weights', w_zip, '--image', one, '--class', str(classes[i]), '--raw', out)
        ours = torch.from_numpy(np.load(out))[0]
        errs.append(((ours - ref_sal[i]).norm() / ref_sal[i].norm()).item())
    report['saliency relative L2 per image'] = errs
    ok &= max(errs) < 3e-2 and sorted(errs)[len(errs) // 2] < 1e-3

    # Fooling: PyTorch, given our fooled tensors, predicts the target.
    out = os.path.join(a.out, 'fooled.npy')
    rep = json.loads(cli('fool', '--weights', w_zip, '--image', xnpy, '--target', '3', '--raw', out, '--json').strip().splitlines()[-1])
    with torch.no_grad():
        pred = model(torch.from_numpy(np.load(out))).argmax(1).tolist()
    report['fool: ours success'] = [r['success'] for r in rep['results']]
    report['fool: PyTorch predicts target 3'] = pred
    ok &= all(p == 3 for p in pred)

    # Class visualization: PyTorch's top-1 of our image is the target.
    out = os.path.join(a.out, 'cv.npy')
    cli('classviz', '--weights', w_zip, '--target', '42', '--raw', out, '--json')
    with torch.no_grad():
        top = model(torch.from_numpy(np.load(out))).argmax(1).item()
    report['classviz target 42: PyTorch top-1'] = top
    ok &= top == 42
    print(json.dumps(report, indent=1))
    print('crosscheck', 'PASSED' if ok else 'FAILED')
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
