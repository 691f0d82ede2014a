#!/usr/bin/python3
"""Image fixtures for tests/image/*.test.ts, made with PIL / numpy / torchvision 0.14.

Run with Debian's interpreter (torch 1.13 + torchvision 0.14):   /usr/bin/python3 scripts/gen_image_fixtures.py

Writes tests/fixtures/image/:
  png/*.png            PNG variants written by a small encoder below (every color type and bit depth, Adam7
                       interlacing, tRNS, all five row filters), plus two written by PIL itself.
  png_expected.npz     for each PNG, the RGB pixels (uint8 H×W×3) the decoder must produce. They are built from
                       the raw samples (16-bit → high byte, low bit depths scaled by 255/(2^d−1), palette looked
                       up, alpha dropped) and checked here against PIL's Image.open(f).convert('RGB'); the only
                       divergence is 16-bit grayscale, which PIL 9 opens in mode 'I' and clips to 0..255 on
                       convert('RGB') (so almost every pixel turns white); we use the high byte instead, as PIL
                       itself does for 16-bit RGB(A).
  jpeg/*.jpg           JPEGs saved by PIL (baseline 4:2:0, progressive, 4:4:4, grayscale, odd size; photo crops
                       and one synthetic pattern).
  jpeg_expected.npz    PIL's decode of each (libjpeg), uint8 H×W×3.
  resize/*.png         sources for the resize/crop test: synthetic patterns (up- and down-scaling, output sizes
                       that truncate, crops whose offset needs Python's round-half-to-even) and a 120×90 crop of
                       a shared ImageNet image.
  resize_expected.npz  for each source and its size s (224 for two cases, 64 for the rest: '<name>.size'),
                       torchvision's Resize(s) output ('<name>.resize', s ≠ 224 only) and Resize(s)+CenterCrop(s)
                       output ('<name>.crop'), uint8 H×W×3.
  preprocess_expected.npz  float32 C×H×W from Resize(16)+CenterCrop(16)+ToTensor()+Normalize(ImageNet) for
                       resize/levels16.png (all 256 levels in every channel, no resize) and resize/small40x23.png.
  tiny_batch.npz       np.savez (stored, not deflated) of X uint8 (6, 5, 7, 3), y int64 (6,), a pickled
                       label_map dict (object array) and a unicode array 'names' — for readNpz / npz selections.

The expected .npz files are written with np.savez_compressed (deflated entries; each entry is a uint8 or
float32 .npy). The shared image crop needs ../shared/images/imagenet_val_25/00_958.png; without it the script
stops (the committed fixtures stay valid).
"""
import os
import struct
import sys
import zlib

import numpy as np
import torch
from PIL import Image
import torchvision.transforms as T

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'tests', 'fixtures', 'image')
SHARED = os.path.join(os.path.dirname(ROOT), 'shared')
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


# --------------------------------------------------------------------------------------------- PNG writer

def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)


CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def pack_row(samples: np.ndarray, depth: int) -> bytes:
    """samples: 1-D array of integer samples for one row (channels interleaved)."""
    if depth == 16:
        return samples.astype('>u2').tobytes()
    if depth == 8:
        return samples.astype(np.uint8).tobytes()
    per = 8 // depth
    out = bytearray((len(samples) * depth + 7) // 8)
    for i, v in enumerate(samples.tolist()):
        out[i // per] |= (int(v) & ((1 << depth) - 1)) << (8 - depth * (i % per + 1))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    if pb <= pc:
        return b
    return c


def filter_row(raw: bytes, prior: bytes, ftype: int, bpp: int) -> bytes:
    out = bytearray(len(raw))
    for x in range(len(raw)):
        a = raw[x - bpp] if x >= bpp else 0
        b = prior[x]
        c = prior[x - bpp] if x >= bpp else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][ftype]
        out[x] = (raw[x] - pred) & 255
    return bytes([ftype]) + bytes(out)


def encode_image_data(samples: np.ndarray, depth: int, channels: int, counter: list) -> bytes:
    """samples (h, w, channels) → filtered scanlines, cycling the filter type row by row."""
    h, w = samples.shape[:2]
    bpp = max(1, channels * depth // 8)
    prior = bytes(len(pack_row(samples[0].reshape(-1), depth))) if h and w else b''
    out = b''
    for y in range(h):
        raw = pack_row(samples[y].reshape(-1), depth)
        out += filter_row(raw, prior, counter[0] % 5, bpp)
        counter[0] += 1
        prior = raw
    return out


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]  # (x0, y0, dx, dy)


def write_png(path, samples, ctype, depth, palette=None, trns=None, interlace=False):
    samples = np.asarray(samples)
    if samples.ndim == 2:
        samples = samples[:, :, None]
    h, w, ch = samples.shape
    assert ch == CHANNELS[ctype]
    ihdr = struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, 1 if interlace else 0)
    counter = [0]
    if interlace:
        data = b''
        for (x0, y0, dx, dy) in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                data += encode_image_data(sub, depth, ch, counter)
    else:
        data = encode_image_data(samples, depth, ch, counter)
    png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr)
    if palette is not None:
        png += chunk(b'PLTE', bytes(np.asarray(palette, np.uint8).reshape(-1)))
    if trns is not None:
        png += chunk(b'tRNS', trns)
    # Two IDAT chunks, to exercise concatenation.
    z = zlib.compress(data, 9)
    half = len(z) // 2
    png += chunk(b'IDAT', z[:half]) + chunk(b'IDAT', z[half:]) + chunk(b'IEND', b'')
    with open(path, 'wb') as f:
        f.write(png)


def expected_rgb(samples, ctype, depth, palette=None):
    """What the decoder must return: RGB uint8."""
    s = np.asarray(samples).astype(np.int64)
    if s.ndim == 2:
        s = s[:, :, None]
    if ctype == 3:
        return np.asarray(palette, np.uint8)[s[:, :, 0]]
    if depth == 16:
        s8 = s >> 8
    elif depth == 8:
        s8 = s
    else:
        s8 = s * 255 // ((1 << depth) - 1)
    if ctype in (0, 4):
        return np.repeat(s8[:, :, :1], 3, axis=2).astype(np.uint8)
    return s8[:, :, :3].astype(np.uint8)


def pil_rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert('RGB'))


# --------------------------------------------------------------------------------------------- patterns

def pattern(w, h, seed):
    """Smooth waves, sharp edges, 1-pixel lines and a noisy patch: every frequency the resampler sees."""
    rs = np.random.RandomState(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(x / 7.0 + y / 13.0 + seed)
    g = np.where(((x // 9) + (y // 7)) % 2 == 0, 40.0, 215.0)
    g = np.where((x.astype(int) % 11 == 0) & (y < h / 2), 255.0, g)       # 1-px vertical lines
    b = 255 * x / max(w - 1, 1)
    cy, cx, rad = h * 0.6, w * 0.3, min(w, h) * 0.25
    inside = (x - cx) ** 2 + (y - cy) ** 2 < rad ** 2
    b = np.where(inside, 255 - b, b)
    img = np.stack([r, g, b], axis=2)
    ph, pw = max(h // 6, 2), max(w // 6, 2)
    img[h - ph:, w - pw:] = rs.randint(0, 256, size=(ph, pw, 3))          # noise patch, bottom right
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------------- main

def main():
    for sub in ('png', 'jpeg', 'resize'):
        os.makedirs(os.path.join(OUT, sub), exist_ok=True)
    rs = np.random.RandomState(1234)
    W, H = 37, 23  # odd sizes: partial bytes at low bit depths, every Adam7 pass non-empty

    # ---------------- PNG variants
    png_expected = {}
    pal = rs.randint(0, 256, size=(256, 3)).astype(np.uint8)
    pal16 = pal[:16]
    variants = []  # (name, samples, ctype, depth, palette, trns, interlace)
    smooth = pattern(W, H, 3)
    variants.append(('rgb8', smooth, 2, 8, None, None, False))
    variants.append(('rgb8_trns', smooth, 2, 8, None, struct.pack('>HHH', *[int(v) for v in smooth[0, 0]]), False))
    rgba = np.concatenate([smooth, rs.randint(0, 256, size=(H, W, 1))], axis=2).astype(np.uint8)
    rgba[0, :, 3] = 0  # fully transparent row: its RGB must survive (PIL's convert('RGB') just drops alpha)
    variants.append(('rgba8', rgba, 6, 8, None, None, False))
    gray = smooth[:, :, 1]
    variants.append(('gray8', gray, 0, 8, None, None, False))
    variants.append(('gray8_trns', gray, 0, 8, None, struct.pack('>H', int(gray[0, 0])), False))
    la = np.stack([gray, rs.randint(0, 256, size=(H, W))], axis=2).astype(np.uint8)
    variants.append(('la8', la, 4, 8, None, None, False))
    idx8 = rs.randint(0, 256, size=(H, W))
    variants.append(('palette8', idx8, 3, 8, pal, bytes(rs.randint(0, 256, size=100).astype(np.uint8)), False))
    idx4 = rs.randint(0, 16, size=(H, W))
    variants.append(('palette4', idx4, 3, 4, pal16, None, False))
    idx2 = rs.randint(0, 4, size=(H, W))
    variants.append(('palette2', idx2, 3, 2, pal[:4], None, False))
    idx1 = rs.randint(0, 2, size=(H, W))
    variants.append(('palette1', idx1, 3, 1, pal[:2], None, False))
    for d in (1, 2, 4):
        variants.append((f'gray{d}', rs.randint(0, 1 << d, size=(H, W)), 0, d, None, None, False))
    rgb16 = rs.randint(0, 65536, size=(H, W, 3))
    variants.append(('rgb16', rgb16, 2, 16, None, None, False))
    rgba16 = rs.randint(0, 65536, size=(H, W, 4))
    variants.append(('rgba16', rgba16, 6, 16, None, None, False))
    gray16 = rs.randint(0, 65536, size=(H, W))
    variants.append(('gray16', gray16, 0, 16, None, None, False))
    la16 = rs.randint(0, 65536, size=(H, W, 2))
    variants.append(('la16', la16, 4, 16, None, None, False))
    # Adam7
    variants.append(('rgb8_interlaced', smooth, 2, 8, None, None, True))
    variants.append(('rgba8_interlaced', rgba, 6, 8, None, None, True))
    variants.append(('gray1_interlaced', rs.randint(0, 2, size=(H, W)), 0, 1, None, None, True))
    variants.append(('gray2_interlaced', rs.randint(0, 4, size=(H, W)), 0, 2, None, None, True))
    variants.append(('palette4_interlaced', idx4, 3, 4, pal16, None, True))
    variants.append(('rgb16_interlaced', rgb16, 2, 16, None, None, True))
    variants.append(('la16_interlaced', la16, 4, 16, None, None, True))
    # Tiny images: 1×1 and 3×2 interlaced (passes with no pixels).
    variants.append(('rgb8_1x1_interlaced', smooth[:1, :1], 2, 8, None, None, True))
    variants.append(('gray1_3x2_interlaced', rs.randint(0, 2, size=(2, 3)), 0, 1, None, None, True))

    for name, samples, ctype, depth, palette, trns, inter in variants:
        path = os.path.join(OUT, 'png', f'{name}.png')
        write_png(path, samples, ctype, depth, palette, trns, inter)
        exp = expected_rgb(samples, ctype, depth, palette)
        got = pil_rgb(path)
        if name.startswith('gray16'):
            # PIL 9: mode 'I' → convert('RGB') clips to 0..255 instead of scaling.
            assert np.array_equal(got[:, :, 0], np.clip(np.asarray(samples), 0, 255)), name
        else:
            assert np.array_equal(got, exp), f'{name}: PIL disagrees with the expected pixels'
        png_expected[name] = exp

    # PNGs written by PIL's own encoder (adaptive filters, one IDAT).
    Image.fromarray(smooth).save(os.path.join(OUT, 'png', 'pil_rgb.png'), optimize=True)
    png_expected['pil_rgb'] = pil_rgb(os.path.join(OUT, 'png', 'pil_rgb.png'))
    Image.fromarray(rgba).save(os.path.join(OUT, 'png', 'pil_rgba.png'))
    png_expected['pil_rgba'] = pil_rgb(os.path.join(OUT, 'png', 'pil_rgba.png'))
    np.savez_compressed(os.path.join(OUT, 'png_expected.npz'), **png_expected)

    # ---------------- JPEG (PIL / libjpeg)
    shared_img = os.path.join(SHARED, 'images', 'imagenet_val_25', '00_958.png')
    if not os.path.exists(shared_img):
        sys.exit(f'missing {shared_img}: the JPEG and crop fixtures are cut from it')
    src = np.asarray(Image.open(shared_img).convert('RGB'))
    photo = Image.fromarray(src[40:88, 30:94])  # 64×48 photo crop
    jpeg_expected = {}
    jobs = [
        ('baseline420', photo, dict(quality=90, subsampling=2)),
        ('progressive', photo, dict(quality=85, progressive=True)),
        ('baseline444', photo, dict(quality=95, subsampling=0)),
        ('gray', photo.convert('L'), dict(quality=90)),
        ('odd_37x23', Image.fromarray(src[120:143, 100:137]), dict(quality=90, subsampling=2)),
        # Synthetic colors at 4:4:4. (At 4:2:0 its sharp chroma edges differ by ~11 levels on average: jpeg-js
        # replicates subsampled chroma where libjpeg interpolates it; photos differ by < 1 level.)
        ('synthetic_444', Image.fromarray(smooth), dict(quality=90, subsampling=0)),
    ]
    for name, im, kw in jobs:
        path = os.path.join(OUT, 'jpeg', f'{name}.jpg')
        im.save(path, 'JPEG', **kw)
        jpeg_expected[name] = pil_rgb(path)
    np.savez_compressed(os.path.join(OUT, 'jpeg_expected.npz'), **jpeg_expected)

    # ---------------- Resize(s) + CenterCrop(s)
    # Two cases at the network's s = 224 (a real photo crop, upscaled, and an antialiased downscale); the rest
    # at s = 64, where the same code paths run and the expected outputs stay small.
    cases = [
        # name, source, s
        ('shared_120x90', src[100:190, 50:170], 224),   # real photo crop, 90 → 224 (×2.49)
        ('down_400x300', pattern(400, 300, 4), 224),     # 300 → 224: antialiased downscale (support × 1.34)
        ('up_50x30', pattern(50, 30, 1), 64),            # upscaling, landscape
        ('up_40x110', pattern(40, 110, 2), 64),          # portrait: int(64·110/40) = 176
        ('down_200x120', pattern(200, 120, 3), 64),      # ×0.53: support × 1.875
        ('down_97x70', pattern(97, 70, 5), 64),          # int(64·97/70) = 88 (88.68 truncated)
        ('crop_69x64', pattern(69, 64, 6), 64),          # no resize; crop_left = round(2.5) = 2 (half to even)
        ('crop_71x64', pattern(71, 64, 9), 64),          # no resize; crop_left = round(3.5) = 4
        ('tiny_7x5', pattern(7, 5, 7), 64),              # extreme upscaling, edge handling
    ]
    resize_expected = {}
    for name, arr, s in cases:
        path = os.path.join(OUT, 'resize', f'{name}.png')
        Image.fromarray(arr).save(path, optimize=True)
        im = Image.open(path).convert('RGB')
        assert np.array_equal(np.asarray(im), arr)
        r = T.Resize(s)(im)
        c = T.CenterCrop(s)(r)
        if s != 224:  # keep the fixture small: the 224 cases store the crop only
            resize_expected[f'{name}.resize'] = np.asarray(r)
        resize_expected[f'{name}.crop'] = np.asarray(c)
        resize_expected[f'{name}.size'] = np.array([s], np.int32)
    np.savez_compressed(os.path.join(OUT, 'resize_expected.npz'), **resize_expected)

    # ---------------- ToTensor + Normalize
    lv = np.zeros((16, 16, 3), np.uint8)
    k = np.arange(256, dtype=np.uint8).reshape(16, 16)
    lv[:, :, 0] = k
    lv[:, :, 1] = k[::-1]
    lv[:, :, 2] = k.T
    Image.fromarray(lv).save(os.path.join(OUT, 'resize', 'levels16.png'))
    Image.fromarray(pattern(40, 23, 8)).save(os.path.join(OUT, 'resize', 'small40x23.png'))
    tf = T.Compose([T.Resize(16), T.CenterCrop(16), T.ToTensor(), T.Normalize(MEAN, STD)])
    pre = {}
    for name in ('levels16', 'small40x23'):
        im = Image.open(os.path.join(OUT, 'resize', f'{name}.png')).convert('RGB')
        t = tf(im)
        assert t.dtype == torch.float32
        pre[name] = t.numpy()
    np.savez_compressed(os.path.join(OUT, 'preprocess_expected.npz'), **pre)

    # ---------------- npz selections (cs231n layout, stored entries)
    X = rs.randint(0, 256, size=(6, 5, 7, 3)).astype(np.uint8)
    y = np.array([958, 85, 244, 182, 294, 804], dtype=np.int64)
    np.savez(os.path.join(OUT, 'tiny_batch.npz'), X=X, y=y, label_map={0: 'tench', 1: 'goldfish'},
             names=np.array(['a', 'bb', 'ccc', 'd', 'e', 'f']))

    total = 0
    for dp, _, fs in os.walk(OUT):
        total += sum(os.path.getsize(os.path.join(dp, f)) for f in fs)
    print(f'wrote {OUT} ({total / 1024:.0f} KiB)')


if __name__ == '__main__':
    main()
