#!/usr/bin/python3
"""gradsight's counter-based random numbers in NumPy (vectorised, uint32/uint64 arithmetic).

The same numbers as the GPU generator (src/ops/random.ts, shaders/random.wgsl, where the algorithm is
specified) and its TypeScript reference (src/ops/cpu/random.ts):

  block(s, i) = Philox4x32-10(counter=(i, 0, 0, 0), key=(s mod 2^32, s // 2^32)) = (x0, x1, x2, x3)
  u(w)        = ((w >> 9) + 0.5) / 2^23                       (exact in float32, strictly inside (0, 1))
  rand        = float32(lo + float32(hi - lo) * u(x0))
  randn       = float32(mean + std * sqrt(-2 ln u(x1)) * cos(2 pi u(x2)))   (float64 math on float32 u)

Use from other fixture scripts (run with /usr/bin/python3, which has torch):
    sys.path.insert(0, 'scripts'); import rng
    noise = torch.from_numpy(rng.randn(seed, (1, 3, 224, 224)))

Command line:
    /usr/bin/python3 scripts/rng.py --check                 # known-answer tests
    /usr/bin/python3 scripts/rng.py --seed 7 --n 64 --out tests/fixtures/rng/seed7_n64.json
"""
import argparse
import json
import os
import sys

import numpy as np

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def _mulhilo(m, c):
    """(high, low) 32-bit words of the 64-bit product of the constant m and the uint32 array c."""
    prod = np.uint64(m) * c.astype(np.uint64)
    return (prod >> np.uint64(32)).astype(np.uint32), (prod & np.uint64(MASK)).astype(np.uint32)


def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of counters (uint32 arrays, broadcast together) under the key (k0, k1) (Python ints)."""
    c0, c1, c2, c3 = np.broadcast_arrays(*(np.asarray(c, dtype=np.uint32) for c in (c0, c1, c2, c3)))
    k0 &= MASK
    k1 &= MASK
    for r in range(10):
        if r > 0:
            k0 = (k0 + W0) & MASK
            k1 = (k1 + W1) & MASK
        hi0, lo0 = _mulhilo(M0, c0)
        hi1, lo1 = _mulhilo(M1, c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ np.uint32(k0), lo1, hi0 ^ c3 ^ np.uint32(k1), lo0
    return c0, c1, c2, c3


def seed_key(seed):
    seed = int(seed)
    if seed < 0 or seed >= 2**53:
        raise ValueError(f"seed must be an integer in [0, 2^53); got {seed}")
    return seed & MASK, seed >> 32


def blocks(seed, n):
    """The four words (x0, x1, x2, x3) of elements 0..n-1, as uint32 arrays."""
    k0, k1 = seed_key(seed)
    i = np.arange(n, dtype=np.uint64).astype(np.uint32)
    z = np.zeros(n, dtype=np.uint32)
    return philox4x32(i, z, z, z, k0, k1)


def uniform_of(w):
    """((w >> 9) + 0.5) / 2^23 as float32 (exact)."""
    return ((np.asarray(w, dtype=np.uint32) >> np.uint32(9)).astype(np.float64) + 0.5) * 2.0**-23


def _size(shape):
    shape = (shape,) if np.isscalar(shape) else tuple(shape)
    return shape, int(np.prod(shape, dtype=np.int64))


def rand(seed, shape, lo=0.0, hi=1.0):
    """Uniform float32 array of `shape` (row-major element i uses block i)."""
    shape, n = _size(shape)
    x0, _, _, _ = blocks(seed, n)
    shift = float(np.float32(lo))
    scale = float(np.float32(hi - lo))
    return (shift + scale * uniform_of(x0)).astype(np.float32).reshape(shape)


def randn(seed, shape, mean=0.0, std=1.0):
    """Normal float32 array of `shape`: Box-Muller (cosine branch) on words x1 (radius) and x2 (angle)."""
    shape, n = _size(shape)
    _, x1, x2, _ = blocks(seed, n)
    z = np.sqrt(-2.0 * np.log(uniform_of(x1))) * np.cos(2.0 * np.pi * uniform_of(x2))
    shift = float(np.float32(mean))
    scale = float(np.float32(std))
    return (shift + scale * z).astype(np.float32).reshape(shape)


# Random123 kat_vectors for philox4x32-10: counter, key -> output.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((MASK, MASK, MASK, MASK), (MASK, MASK), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0), (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def check():
    for ctr, key, want in KAT:
        got = tuple(int(v[0]) for v in philox4x32(*[np.array([c], dtype=np.uint32) for c in ctr], *key))
        if got != want:
            raise SystemExit(f"philox4x32-10 KAT failed for ctr={ctr} key={key}: {got} != {want}")
    u = rand(1, 100000)
    z = randn(1, 100000)
    assert 0.0 < u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.005 and abs(z.mean()) < 0.02 and abs(z.std() - 1.0) < 0.01, (u.mean(), z.mean(), z.std())
    print("rng.py: Philox4x32-10 known answers OK; uniform/normal moments OK")


def fixture(seed, n):
    x0, x1, x2, x3 = blocks(seed, n)
    return {
        "generator": "gradsight rng: Philox4x32-10(counter=(i,0,0,0), key=(seed mod 2^32, seed >> 32)); "
                     "u(w) = ((w >> 9) + 0.5) / 2^23; rand = u(x0); randn = sqrt(-2 ln u(x1)) cos(2 pi u(x2))",
        "made_by": "/usr/bin/python3 scripts/rng.py --seed %d --n %d" % (seed, n),
        "seed": seed,
        "n": n,
        "x0": [int(v) for v in x0],
        "x1": [int(v) for v in x1],
        "x2": [int(v) for v in x2],
        "x3": [int(v) for v in x3],
        # float32 values written as the float64 numbers they are exactly (JSON round-trips them).
        "rand": [float(v) for v in rand(seed, n)],
        "randn": [float(v) for v in randn(seed, n)],
        "rand_lo_hi": [-2.0, 3.0],
        "rand_range": [float(v) for v in rand(seed, n, -2.0, 3.0)],
        "randn_mean_std": [0.5, 2.0],
        "randn_scaled": [float(v) for v in randn(seed, n, 0.5, 2.0)],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="run the known-answer tests")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--out", help="write a JSON fixture here")
    a = ap.parse_args()
    if a.check or not a.out:
        check()
    if a.out:
        os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
        with open(a.out, "w") as f:
            json.dump(fixture(a.seed, a.n), f, indent=1)
            f.write("\n")
        print(f"wrote {a.out}")


if __name__ == "__main__":
    sys.exit(main())
