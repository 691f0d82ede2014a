#!/usr/bin/python3
"""Small weight files for tests/weights (run with /usr/bin/python3: Debian's torch 1.13 + torchvision).

A tiny SqueezeNet-shaped model in torchvision's layout (conv, ReLU, max-pool, one Fire module, classifier
conv; 10 tensors, 223 parameters) saved every way the importer must handle. Each file is checked with
torch.load here, and tiny_expected.json records the exact float32 values the importer must produce.

  tiny_manifest.json         names and shapes, the manifest the tests pass to the validator
  tiny_expected.json         every tensor's values (float32, as lists) for bit-exact comparison
  tiny.pth                   zip format (torch >= 1.6), fp32
  tiny-proto4.pth            zip format with pickle protocol 4 (FRAME, STACK_GLOBAL, MEMOIZE)
  tiny-legacy.pth            legacy format (magic, protocol 1001, sys_info, pickle, keys, raw storages)
  tiny-fp16-legacy.pth       legacy format, float16 tensors
  tiny-bf16.pth              zip format, bfloat16 tensors
  tiny-f64.pth               zip format, float64 tensors
  tiny-module.pth            keys prefixed 'module.' (DataParallel)
  tiny-checkpoint.pth        {'epoch': 7, 'model': state_dict, 'optimizer': {...}}
  tiny-strided.pth           a transposed (non-contiguous) tensor and a tensor at a storage offset
  tiny-old.pth               pre-0.4 style: torch._utils._rebuild_tensor, storage views, crafted by hand
  tiny-frombytes.pth         legacy file whose pickle embeds storages via torch.storage._load_from_bytes
  tiny.onnx                  torch.onnx.export, opset 11
  tiny-renamed.onnx          the same with initializer names swapped / changed (expand1x1 <-> expand3x3,
                             features.0 -> features.7, classifier.1 -> classifier.0) and initializers
                             also listed as graph inputs: only a structural mapping gets it right
  tiny-halfs.safetensors     F16 and BF16 tensors plus __metadata__, written by hand from the spec
  tiny-wrongshape.pth        features.3.expand3x3.weight has shape [3, 2, 1, 1]
  tiny-missing.pth           features.3.squeeze.weight and classifier.1.bias left out
  tiny-truncated.pth         legacy file cut off inside its storage data
  other-model.pth            a ResNet-like state dict (conv1, bn1 with an int64 counter, fc)
  not-a-model.txt            plain text
"""
import collections
import io
import json
import os
import pickle
import re
import struct
import sys

import torch
import torch.nn as nn
from torchvision.models.squeezenet import Fire

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'weights')
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(1234)


class TinySqueeze(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 4, kernel_size=3, stride=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True), Fire(4, 2, 3, 3))
        self.classifier = nn.Sequential(nn.Dropout(p=0.5), nn.Conv2d(6, 5, kernel_size=1), nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


model = TinySqueeze().eval()
# Values exactly representable in float16 and bfloat16 (8 significant bits), so every variant must decode to
# the same float32 numbers.
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.round(torch.randn_like(p) * 64) / 128)
sd = model.state_dict()


def path(name):
    return os.path.join(OUT, name)


def check(name, want=None, prefix=''):
    """torch.load must read the file back to the model's values (in float32)."""
    got = torch.load(path(name))
    if isinstance(got, dict) and 'model' in got:
        got = got['model']
    ref = want if want is not None else sd
    for k, v in ref.items():
        assert torch.equal(got[prefix + k].float(), v.float()), (name, k)


def save(name, obj, legacy=False, want=None, prefix='', protocol=2):
    torch.save(obj, path(name), _use_new_zipfile_serialization=not legacy, pickle_protocol=protocol)
    check(name, want, prefix)


with open(path('tiny_manifest.json'), 'w') as f:
    json.dump({'model': 'tiny SqueezeNet', 'tensors': [{'name': k, 'shape': list(v.shape)} for k, v in sd.items()]}, f, indent=1)
with open(path('tiny_expected.json'), 'w') as f:
    json.dump({k: v.flatten().tolist() for k, v in sd.items()}, f)

save('tiny.pth', sd)
save('tiny-proto4.pth', sd, protocol=4)
save('tiny-legacy.pth', sd, legacy=True)
save('tiny-fp16-legacy.pth', collections.OrderedDict((k, v.half()) for k, v in sd.items()), legacy=True)
save('tiny-bf16.pth', collections.OrderedDict((k, v.bfloat16()) for k, v in sd.items()))
save('tiny-f64.pth', collections.OrderedDict((k, v.double()) for k, v in sd.items()))
save('tiny-module.pth', collections.OrderedDict(('module.' + k, v) for k, v in sd.items()), prefix='module.')
save('tiny-checkpoint.pth', {'epoch': 7, 'model': sd, 'optimizer': {'lr': 0.01, 'momentum': 0.9}})

# Non-contiguous: one weight stored transposed (strides (18, 9, 1, 3)), one bias a slice of a bigger storage.
strided = collections.OrderedDict(sd)
w = sd['features.3.expand3x3.weight']
strided['features.3.expand3x3.weight'] = w.transpose(2, 3).contiguous().transpose(2, 3)
assert not strided['features.3.expand3x3.weight'].is_contiguous()
big = torch.cat([torch.full((3,), 99.0), sd['classifier.1.bias'], torch.full((2,), -99.0)])
strided['classifier.1.bias'] = big[3:8]
assert strided['classifier.1.bias'].storage_offset() == 3
save('tiny-strided.pth', strided)

# ---- legacy writer for crafted pickles ----
MAGIC = 0x1950a86a20f9469cfc6c
SYS_INFO = dict(protocol_version=1001, little_endian=True, type_sizes=dict(short=2, int=4, long=8))


def legacy_file(object_pickle, storages):
    """storages: list of (key, float32 tensor holding the root storage's data)."""
    b = io.BytesIO()
    for x in (MAGIC, 1001, SYS_INFO):
        pickle.dump(x, b, protocol=2)
    b.write(object_pickle)
    pickle.dump([k for k, _ in storages], b, protocol=2)
    for _, t in storages:
        b.write(struct.pack('<q', t.numel()))
        b.write(t.numpy().astype('<f4').tobytes())
    return b.getvalue()


# Pre-0.4 (torchvision's 2017 files): _rebuild_tensor(storage, offset, size, stride); weights in one root
# storage each, all biases as views into one shared root storage via view_metadata.
class StorageRef:
    def __init__(self, key, numel, view=None):
        self.key, self.numel, self.view = key, numel, view


class OldTensor:
    def __init__(self, ref, offset, size, stride):
        self.args = (ref, offset, size, stride)

    def __reduce__(self):
        return (torch._utils._rebuild_tensor, self.args)


class OldPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, StorageRef):
            return ('storage', torch.FloatStorage, obj.key, 'cpu', obj.numel, obj.view)
        return None


biases = [k for k in sd if k.endswith('.bias')]
bias_root = torch.cat([sd[k] for k in biases])
roots = [('bias_root', bias_root)]
old = collections.OrderedDict()
off = 0
for i, (k, v) in enumerate(sd.items()):
    if k in biases:
        ref = StorageRef('bias_root', bias_root.numel(), (f'view{i}', off, v.numel()))
        old[k] = OldTensor(ref, 0, tuple(v.shape), v.stride())
        off += v.numel()
    else:
        key = f'w{i}'
        roots.append((key, v.flatten()))
        old[k] = OldTensor(StorageRef(key, v.numel()), 0, tuple(v.shape), v.stride())
b = io.BytesIO()
OldPickler(b, protocol=2).dump(old)
with open(path('tiny-old.pth'), 'wb') as f:
    f.write(legacy_file(b.getvalue(), sorted(roots)))
check('tiny-old.pth')

# A legacy file whose object pickle is plain pickle.dumps(state_dict): tensors pickle their storages as
# torch.storage._load_from_bytes(<a whole legacy torch.save of the storage>), bytes via _codecs.encode.
with open(path('tiny-frombytes.pth'), 'wb') as f:
    f.write(legacy_file(pickle.dumps(sd, protocol=2), []))
check('tiny-frombytes.pth')

# ONNX.
x = torch.randn(1, 3, 23, 19)
torch.onnx.export(model, x, path('tiny.onnx'), opset_version=11, input_names=['input'], output_names=['logits'])
buf = io.BytesIO()
torch.onnx.export(model, x, buf, opset_version=11, input_names=['input'], output_names=['logits'],
                  keep_initializers_as_inputs=True)
data = buf.getvalue()
# Same-length byte substitutions keep the protobuf valid.
swaps = {b'features.3.expand1x1': b'features.3.expand3x3', b'features.3.expand3x3': b'features.3.expand1x1',
         b'features.0.': b'features.7.', b'classifier.1.': b'classifier.0.'}
for a in swaps:
    assert a in data, a
data = re.sub(b'|'.join(re.escape(a) for a in swaps), lambda m: swaps[m.group(0)], data)
with open(path('tiny-renamed.onnx'), 'wb') as f:
    f.write(data)

# safetensors by hand: weights as F16, biases as BF16, with metadata.
header, blobs, pos = {'__metadata__': {'format': 'pt', 'note': 'tiny fixture'}}, [], 0
for k, v in sd.items():
    if k.endswith('.bias'):
        raw = (v.float().view(torch.int32) >> 16).to(torch.int16).numpy().astype('<i2').tobytes()
        dt = 'BF16'
    else:
        raw = v.half().numpy().astype('<f2').tobytes()
        dt = 'F16'
    header[k] = {'dtype': dt, 'shape': list(v.shape), 'data_offsets': [pos, pos + len(raw)]}
    blobs.append(raw)
    pos += len(raw)
h = json.dumps(header).encode()
h += b' ' * ((8 - len(h) % 8) % 8)
with open(path('tiny-halfs.safetensors'), 'wb') as f:
    f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))

# Broken and foreign files.
wrong = collections.OrderedDict(sd)
wrong['features.3.expand3x3.weight'] = torch.zeros(3, 2, 1, 1)
save('tiny-wrongshape.pth', wrong, want={})
missing = collections.OrderedDict((k, v) for k, v in sd.items() if k not in ('features.3.squeeze.weight', 'classifier.1.bias'))
save('tiny-missing.pth', missing, want=missing)
with open(path('tiny-legacy.pth'), 'rb') as f:
    full = f.read()
with open(path('tiny-truncated.pth'), 'wb') as f:
    f.write(full[:len(full) - 100])
other = collections.OrderedDict([
    ('conv1.weight', torch.randn(4, 3, 3, 3)), ('bn1.weight', torch.ones(4)), ('bn1.bias', torch.zeros(4)),
    ('bn1.running_mean', torch.zeros(4)), ('bn1.running_var', torch.ones(4)),
    ('bn1.num_batches_tracked', torch.tensor(12, dtype=torch.int64)), ('fc.weight', torch.randn(5, 4)), ('fc.bias', torch.zeros(5)),
])
save('other-model.pth', other, want=other)
with open(path('not-a-model.txt'), 'w') as f:
    f.write('This is not a weights file.\n')

for n in sorted(os.listdir(OUT)):
    print(f'{os.path.getsize(path(n)):7d}  {n}')
print('torch', torch.__version__, file=sys.stderr)
