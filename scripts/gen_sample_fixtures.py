#!/usr/bin/python3
"""Fixtures that stand in for ../shared/images in the tests, so that a clone without ../shared runs them all.

  tests/fixtures/image/samples_pixels.json  for each embedded sample PNG (samples/), the SHA-256 of its RGB
                                            pixels as PIL decodes them, and the same rows of cs231n's
                                            imagenet_val_25.npz (X) checked equal here
  tests/fixtures/image/cs231n_like.npz      the cs231n file's layout (X uint8 N×H×W×3, y, a pickled
                                            label_map) on the first three samples cropped to 32×32

    /usr/bin/python3 scripts/gen_sample_fixtures.py   (needs ../shared/images)
"""
import hashlib, json, os
import numpy as np
from PIL import Image

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
shared = os.path.join(root, '..', 'shared', 'images')
out = os.path.join(root, 'tests', 'fixtures', 'image')
z = np.load(os.path.join(shared, 'imagenet_val_25.npz'), allow_pickle=True)
files = sorted(f for f in os.listdir(os.path.join(root, 'samples')) if f.endswith('.png'))
labels = {e['file']: e['label'] for e in json.load(open(os.path.join(root, 'samples', 'labels.json')))}
pixels = []
for i, f in enumerate(files):
    px = np.asarray(Image.open(os.path.join(root, 'samples', f)).convert('RGB'))
    assert np.array_equal(px, z['X'][i]), f
    assert labels[f] == int(z['y'][i]), f
    pixels.append({'file': f, 'label': labels[f], 'shape': list(px.shape), 'sha256': hashlib.sha256(px.tobytes()).hexdigest()})
json.dump(pixels, open(os.path.join(out, 'samples_pixels.json'), 'w'), indent=1)
label_map = z['label_map'].item()
np.savez_compressed(os.path.join(out, 'cs231n_like.npz'), X=np.ascontiguousarray(z['X'][:3, :32, :32]), y=z['y'][:3],
                    label_map=np.array({k: label_map[k] for k in list(label_map)[:5]}, dtype=object))
print(f'{len(pixels)} sample pixel hashes; cs231n_like.npz')
