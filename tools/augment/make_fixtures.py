"""Writes @bot/augment's golden fixtures with torchvision + PIL (Debian python3-torchvision).

Run once from the repo root:  /usr/bin/python3 tools/augment/make_fixtures.py
Outputs: packages/augment/test/fixtures/{rgb-64x48.png, rgb-64x48-q90.jpg, gray-40x30.png, golden.json}
"""
import base64, io, json, math, os
import numpy as np
import torch
import torchvision
import torchvision.transforms as T
import torchvision.transforms.functional as F
from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'augment', 'test', 'fixtures')
os.makedirs(OUT, exist_ok=True)
rs = np.random.default_rng(20190101)

def b64(a):
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode('ascii')

# Test images: smooth colour structure plus noise, so both edges and flat areas are exercised.
H, W = 48, 64
y, x = np.mgrid[0:H, 0:W]
rgb = np.stack([128 + 100 * np.sin(x / 5.0 + y / 9.0), 128 + 100 * np.cos(y / 4.0), (x * 3 + y * 2) % 256], -1)
rgb = np.clip(rgb + rs.normal(0, 18, (H, W, 3)), 0, 255).astype(np.uint8)
Image.fromarray(rgb).save(os.path.join(OUT, 'rgb-64x48.png'))
Image.fromarray(rgb).save(os.path.join(OUT, 'rgb-64x48-q90.jpg'), quality=90)
gy, gx = np.mgrid[0:30, 0:40]
gray = np.clip(128 + 90 * np.sin(gx / 3.0) * np.cos(gy / 5.0) + rs.normal(0, 10, (30, 40)), 0, 255).astype(np.uint8)
Image.fromarray(gray, mode='L').save(os.path.join(OUT, 'gray-40x30.png'))

def load(name):
    with open(os.path.join(OUT, name), 'rb') as f:
        return Image.open(io.BytesIO(f.read())).convert('RGB')

fx = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'PIL': Image.__version__}

# 1. Decoding (PIL + convert('RGB') as torchvision's default loader).
fx['decode'] = [{'file': n, 'shape': [*np.asarray(load(n)).shape], 'u8': b64(np.asarray(load(n)))}
                for n in ['rgb-64x48.png', 'rgb-64x48-q90.jpg', 'gray-40x30.png']]

# 2. Geometry with fixed parameters: F.resized_crop (bilinear), then an optional flip.
geo = []
for n in ['rgb-64x48.png', 'rgb-64x48-q90.jpg']:
    img = load(n)
    for (top, left, h, w), (oh, ow), flip in [
        ((3, 5, 40, 50), (16, 20), False),   # shrink both axes by 2.5
        ((8, 10, 15, 20), (40, 56), True),   # enlarge both
        ((0, 0, 48, 64), (60, 40), False),   # shrink width, enlarge height
        ((10, 3, 30, 33), (24, 32), True),   # mild shrink
        ((20, 30, 7, 9), (32, 32), False),   # a tiny crop enlarged 4x
        ((0, 0, 48, 64), (48, 64), True),    # identity size
    ]:
        out = F.resized_crop(img, top, left, h, w, [oh, ow], interpolation=T.InterpolationMode.BILINEAR)
        if flip:
            out = F.hflip(out)
        geo.append({'file': n, 'box': {'left': left, 'top': top, 'width': w, 'height': h}, 'size': [oh, ow],
                    'flip': flip, 'u8': b64(np.asarray(out))})
fx['resizedCrop'] = geo

# 3. Validation geometry: Resize(shorter side) then CenterCrop, including a crop larger than the image (padding).
val = []
for n, rsz, crop in [('rgb-64x48.png', 40, 32), ('rgb-64x48.png', 24, [20, 28]), ('rgb-64x48.png', 30, 36),
                     ('gray-40x30.png', 36, 30), ('rgb-64x48-q90.jpg', 48, 50)]:
    out = T.CenterCrop(crop)(T.Resize(rsz)(load(n)))
    a = np.asarray(out)
    val.append({'file': n, 'resize': rsz, 'crop': crop, 'shape': [*a.shape], 'u8': b64(a)})
fx['resizeCenterCrop'] = val

# 4. Size arithmetic of Resize and CenterCrop (closed forms inside torchvision).
sizes = []
for (w, h) in [(500, 375), (375, 500), (64, 48), (333, 500), (1000, 999), (7, 1000), (640, 427)]:
    for s, m in [(256, None), (224, None), (100, 300), (31, None)]:
        oh, ow = F._compute_resized_output_size((h, w), [s], max_size=m)
        sizes.append({'width': w, 'height': h, 'size': s, 'maxSize': m, 'out': [oh, ow]})
fx['resizeSizes'] = sizes
cc = []
idx = torch.arange(37 * 53, dtype=torch.float32).reshape(1, 37, 53) + 1
for ch, cw in [(20, 20), (21, 30), (36, 52), (37, 53), (10, 11), (1, 1)]:
    out = F.center_crop(idx, [ch, cw])
    v = int(out[0, 0, 0].item()) - 1
    cc.append({'width': 53, 'height': 37, 'crop': [ch, cw], 'top': v // 53, 'left': v % 53})
fx['centerCropBoxes'] = cc

# 5. RandomResizedCrop.get_params with its random draws recorded, so the JS side can replay them.
class Recorder:
    def __init__(self):
        self.draws = []
rec = Recorder()
real_empty, real_randint = torch.empty, torch.randint
class _Uniform:
    def __init__(self, *a, **k):
        self.t = real_empty(*a, **k)
    def uniform_(self, lo, hi):
        t = self.t.uniform_(lo, hi)
        rec.draws.append(['u', float(lo), float(hi), float(t.item())])
        return t
def _randint(low, high, size=None, **k):
    t = real_randint(low, high, size, **k)
    rec.draws.append(['i', int(high - low), int(t.item() - low)])
    return t
rrc = []
torch.empty, torch.randint = _Uniform, _randint
try:
    torch.manual_seed(7)
    for (w, h) in [(64, 48), (500, 375), (400, 40), (40, 400), (3, 3), (100, 100)]:
        for scale, ratio in [((0.08, 1.0), (3 / 4, 4 / 3)), ((0.5, 1.0), (0.2, 5.0)), ((0.9, 1.0), (3 / 4, 4 / 3))]:
            for _ in range(4):
                rec.draws = []
                i, j, bh, bw = T.RandomResizedCrop.get_params(Image.new('RGB', (w, h)), list(scale), list(ratio))
                rrc.append({'width': w, 'height': h, 'scale': list(scale), 'ratio': list(ratio), 'draws': rec.draws,
                            'box': {'left': j, 'top': i, 'width': bw, 'height': bh}})
finally:
    torch.empty, torch.randint = real_empty, real_randint
fx['randomResizedCropParams'] = rrc

# 6. Colour ops on float tensors in [0, 1] (what the paper's float pipeline does); JS works on 0-255.
base = F.to_tensor(load('rgb-64x48.png'))[:, 8:20, 10:26].contiguous()  # 3 x 16 x 24
gbase = F.to_tensor(Image.open(os.path.join(OUT, 'gray-40x30.png')))[:, 4:12, 6:18].contiguous()
def hwc(t):
    return t.permute(1, 2, 0).contiguous().numpy().astype(np.float32)
fx['colorInput'] = {'shape': [12, 16, 3], 'f32': b64(hwc(base))}
fx['grayInput'] = {'shape': [8, 12, 1], 'f32': b64(hwc(gbase))}
ops = []
for name, fn, factors in [('brightness', F.adjust_brightness, [0.6, 1.0, 1.37, 2.5]),
                          ('contrast', F.adjust_contrast, [0.0, 0.6, 1.4, 3.0]),
                          ('saturation', F.adjust_saturation, [0.0, 0.6, 1.4, 3.0]),
                          ('hue', F.adjust_hue, [-0.5, -0.13, 0.0, 0.21, 0.5])]:
    for f in factors:
        ops.append({'op': name, 'factor': f, 'input': 'color', 'f32': b64(hwc(fn(base, f)))})
        if name != 'hue':
            ops.append({'op': name, 'factor': f, 'input': 'gray', 'f32': b64(hwc(fn(gbase, f)))})
fx['colorOps'] = ops

jit = []
for order, (b, c, s, hh) in [([1, 0, 2], (1.3, 0.7, 1.2, None)), ([2, 1, 0, 3], (0.65, 1.38, 0.9, 0.1)),
                              ([0, 2, 1], (1.1, 1.1, 0.61, None))]:
    t = base.clone()
    for k in order:
        t = [lambda u: F.adjust_brightness(u, b), lambda u: F.adjust_contrast(u, c),
             lambda u: F.adjust_saturation(u, s), lambda u: F.adjust_hue(u, hh)][k](t)
    names = ['brightness', 'contrast', 'saturation', 'hue']
    jit.append({'order': [names[k] for k in order], 'brightness': b, 'contrast': c, 'saturation': s, 'hue': hh,
                'f32': b64(hwc(t))})
fx['colorJitter'] = jit

# 7. AlexNet PCA lighting as fb.resnet.torch / the PyTorch ImageNet examples' Lighting class (0-1 scale).
eigval = torch.tensor([0.2175, 0.0188, 0.0045])
eigvec = torch.tensor([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]])
light = []
for alphas in [[0.1, -0.05, 0.2], [-0.23, 0.011, 0.0], [0.0, 0.0, -0.3]]:
    alpha = torch.tensor(alphas)
    rgbo = eigvec.type_as(base).clone().mul(alpha.view(1, 3).expand(3, 3)).mul(eigval.view(1, 3).expand(3, 3)).sum(1).squeeze()
    out = base.clone().add(rgbo.view(3, 1, 1).expand_as(base))
    light.append({'alphas': alphas, 'f32': b64(hwc(out))})
fx['lighting'] = light

# 8. Normalize (ImageNet mean/std on the 0-1 scale).
norm = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])(base.clone())
fx['normalize'] = {'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225], 'f32': b64(hwc(norm))}

# 9. The paper's train pipeline with every random parameter fixed: PIL geometry, then float colour ops.
full = []
for n in ['rgb-64x48.png', 'rgb-64x48-q90.jpg']:
    for (top, left, h, w), flip, order, (b, c, s), alphas in [
        ((4, 6, 36, 44), True, [2, 0, 1], (1.25, 0.8, 1.3), [0.05, -0.12, 0.08]),
        ((12, 20, 14, 18), False, [1, 2, 0], (0.7, 1.35, 0.65), [-0.1, 0.02, 0.15]),
    ]:
        img = F.resized_crop(load(n), top, left, h, w, [24, 24], interpolation=T.InterpolationMode.BILINEAR)
        if flip:
            img = F.hflip(img)
        t = F.to_tensor(img)
        for k in order:
            t = [lambda u: F.adjust_brightness(u, b), lambda u: F.adjust_contrast(u, c),
                 lambda u: F.adjust_saturation(u, s)][k](t)
        alpha = torch.tensor(alphas)
        rgbo = eigvec.clone().mul(alpha.view(1, 3).expand(3, 3)).mul(eigval.view(1, 3).expand(3, 3)).sum(1).squeeze()
        t = t.add(rgbo.view(3, 1, 1).expand_as(t))
        t = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])(t)
        names = ['brightness', 'contrast', 'saturation']
        full.append({'file': n, 'box': {'left': left, 'top': top, 'width': w, 'height': h}, 'size': [24, 24],
                     'flip': flip, 'order': [names[k] for k in order], 'brightness': b, 'contrast': c,
                     'saturation': s, 'alphas': alphas, 'chw': [3, 24, 24], 'f32': b64(t.contiguous().numpy())})
fx['trainPipeline'] = full

with open(os.path.join(OUT, 'golden.json'), 'w') as f:
    json.dump(fx, f, separators=(',', ':'))
print('wrote', os.path.join(OUT, 'golden.json'), os.path.getsize(os.path.join(OUT, 'golden.json')), 'bytes')
