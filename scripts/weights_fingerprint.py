#!/usr/bin/python3
"""Fingerprint of the default weights, from PyTorch's own reading of the source file.

Writes weights/squeezenet1_1.fingerprint.json: the source file's SHA-256 and, for each of the 52 tensors in
state-dict order, its shape and the SHA-256 of its float32 little-endian bytes (C order) as torch.load
gives them. tests/weights/embedded.test.ts checks the embedded weights/squeezenet1_1.safetensors against it
tensor by tensor, bit for bit, with or without ../shared beside the repo.

    /usr/bin/python3 scripts/weights_fingerprint.py [../shared/weights/squeezenet1_1.pth]
"""
import hashlib, json, os, sys
import numpy as np
import torch

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, '..', 'shared', 'weights', 'squeezenet1_1.pth')
raw = open(src, 'rb').read()
sd = torch.load(src, map_location='cpu')
tensors = []
for k, v in sd.items():
    a = np.ascontiguousarray(v.detach().float().numpy()).astype('<f4')
    tensors.append({'name': k, 'shape': list(a.shape), 'sha256': hashlib.sha256(a.tobytes()).hexdigest()})
out = {
    'source': os.path.basename(src),
    'source_sha256': hashlib.sha256(raw).hexdigest(),
    'torch': torch.__version__,
    'tensors': tensors,
}
with open(os.path.join(root, 'weights', 'squeezenet1_1.fingerprint.json'), 'w') as f:
    json.dump(out, f, indent=1)
print(f"{len(tensors)} tensors, source sha256 {out['source_sha256']}")
