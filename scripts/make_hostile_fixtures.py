#!/usr/bin/python3
"""Hostile and damaged files for the importer's refusal tests (run with /usr/bin/python3: torch 1.13, numpy).

Built from tests/fixtures/weights/tiny.pth (scripts/make_weight_fixtures.py). Each file is what a careless
or hostile source could hand the importer; torch.load(weights_only=True) refuses the pickles too (checked).

  weights/hostile-system.pth       tiny's state dict plus an entry whose pickle REDUCEs os.system (zip format)
  weights/hostile-eval-legacy.pth  the same with builtins.eval, legacy format
  weights/hostile-module.pth       a whole pickled model (torch.save(model)), not a state dict
  weights/hostile-stride0.pth      tiny's state dict plus an unused zeros(1).expand(16000, 16000): a 4-byte
                                   storage viewed with strides (0, 0) as 256M elements
  weights/hostile-stride0-2e40.pth  the same with zeros(1).expand(2^20, 2^20): 2^40 elements
  weights/tiny-nan.pth             tiny with features.0.weight[1, 2, 0, 1] = NaN (zip format)
  weights/tiny-inf-legacy.pth      tiny with classifier.1.bias[3] = -inf (legacy format)
  npy/fortran_f4.npy               arange(120).reshape(2, 3, 4, 5) as float32, saved in Fortran order
  npy/fortran_u1.npy               arange(24).reshape(2, 3, 4) as uint8, saved in Fortran order
  npy/fortran_x.npz                X = arange(36).reshape(2, 2, 3, 3) as uint8 in Fortran order, y = [5, 7]
"""
import collections
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
W = os.path.join(HERE, '..', 'tests', 'fixtures', 'weights')
N = os.path.join(HERE, '..', 'tests', 'fixtures', 'npy')
os.makedirs(N, exist_ok=True)

tiny = torch.load(os.path.join(W, 'tiny.pth'))


class System:
    def __reduce__(self):
        return (os.system, ('echo gradsight-was-here',))


class Eval:
    def __reduce__(self):
        return (eval, ('__import__("os").getcwd()',))


def with_extra(name, value):
    d = collections.OrderedDict(tiny)
    d[name] = value
    return d


def refused_by_torch(path):
    try:
        torch.load(path, weights_only=True)
    except Exception as e:  # noqa: BLE001
        return str(e).splitlines()[0]
    raise SystemExit(f'{path}: torch.load(weights_only=True) accepted it')


def save(obj, name, legacy=False):
    path = os.path.join(W, name)
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    return path


p = save(with_extra('evil', System()), 'hostile-system.pth')
print(p, '->', refused_by_torch(p))
p = save(with_extra('evil', Eval()), 'hostile-eval-legacy.pth', legacy=True)
print(p, '->', refused_by_torch(p))


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)


p = save(Tiny(), 'hostile-module.pth')
print(p, '->', refused_by_torch(p))

huge = torch.zeros(1).expand(16000, 16000)
p = save(with_extra('huge', huge), 'hostile-stride0.pth')
back = torch.load(p)['huge']
assert back.shape == (16000, 16000) and back.stride() == (0, 0), back.stride()
print(p, os.path.getsize(p), 'bytes; huge stride', back.stride())

d = collections.OrderedDict((k, v.clone()) for k, v in tiny.items())
d['features.0.weight'][1, 2, 0, 1] = float('nan')
save(d, 'tiny-nan.pth')
d = collections.OrderedDict((k, v.clone()) for k, v in tiny.items())
d['classifier.1.bias'][3] = float('-inf')
save(d, 'tiny-inf-legacy.pth', legacy=True)

a = np.asfortranarray(np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5))
np.save(os.path.join(N, 'fortran_f4.npy'), a)
b = np.asfortranarray(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
np.save(os.path.join(N, 'fortran_u1.npy'), b)
for f in ('fortran_f4.npy', 'fortran_u1.npy'):
    with open(os.path.join(N, f), 'rb') as fh:
        assert b"'fortran_order': True" in fh.read(128), f
print('npy: fortran_f4.npy, fortran_u1.npy')

# 2^40 elements from a 4-byte storage: more than any typed array can hold.
huge = torch.zeros(1).expand(2 ** 20, 2 ** 20)
p = save(with_extra('huge', huge), 'hostile-stride0-2e40.pth')
print(p, os.path.getsize(p), 'bytes')

# An .npz whose X is in Fortran order (cs231n layout otherwise): X[i] must read as the same image.
X = np.asfortranarray(np.arange(2 * 2 * 3 * 3, dtype=np.uint8).reshape(2, 2, 3, 3))
np.savez(os.path.join(N, 'fortran_x.npz'), X=X, y=np.array([5, 7]))
print('npz: fortran_x.npz')
