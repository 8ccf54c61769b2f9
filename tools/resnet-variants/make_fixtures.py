"""Golden fixtures for @bot/resnet-variants, produced once with Debian's python3-torch (1.13).

Run: /usr/bin/python3 tools/resnet-variants/make_fixtures.py
Writes packages/resnet-variants/test/fixtures/<case>.safetensors (a timm-keyed state_dict), <case>.json
(config, and the eval-mode logits) and input-<size>x<channels>.json (the shared NHWC inputs).
Nothing at run time or in CI needs Python; the files are committed.

The model below mirrors timm's resnet.py (BasicBlock, Bottleneck, create_aux stem, avg_down shortcut) in plain
torch, with timm's module names, so its state_dict keys are timm's. timm has no variant A; here A puts the
stride on the first 1x1 of the bottleneck, as GluonCV's resnetv1 does. The 'cifar' stem is the same stem with
stride 1 and no max pool.
"""
import json
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'resnet-variants', 'test', 'fixtures')
LAYERS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3]}


def ch(c, width):
    return max(1, round(c * width))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, variant='B'):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.act2 = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        shortcut = x
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.bn2(self.conv2(x))
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        return self.act2(x + shortcut)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, variant='B'):
        super().__init__()
        s1, s3 = (stride, 1) if variant == 'A' else (1, stride)
        self.conv1 = nn.Conv2d(inplanes, planes, 1, s1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, s3, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.act2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.act3 = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        shortcut = x
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.act2(self.bn2(self.conv2(x)))
        x = self.bn3(self.conv3(x))
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        return self.act3(x + shortcut)


def downsample_conv(inplanes, outplanes, stride):
    return nn.Sequential(nn.Conv2d(inplanes, outplanes, 1, stride, bias=False), nn.BatchNorm2d(outplanes))


def downsample_avg(inplanes, outplanes, stride):
    pool = nn.Identity() if stride == 1 else nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False)
    return nn.Sequential(pool, nn.Conv2d(inplanes, outplanes, 1, 1, bias=False), nn.BatchNorm2d(outplanes))


class ResNet(nn.Module):
    def __init__(self, depth, variant, num_classes, in_chans, stem, width):
        super().__init__()
        block = BasicBlock if depth < 50 else Bottleneck
        stride = 2 if stem == 'imagenet' else 1
        inplanes = ch(64, width)
        if variant in ('C', 'D'):
            sw = ch(32, width)
            self.conv1 = nn.Sequential(
                nn.Conv2d(in_chans, sw, 3, stride, 1, bias=False), nn.BatchNorm2d(sw), nn.ReLU(inplace=True),
                nn.Conv2d(sw, sw, 3, 1, 1, bias=False), nn.BatchNorm2d(sw), nn.ReLU(inplace=True),
                nn.Conv2d(sw, inplanes, 3, 1, 1, bias=False))
        else:
            k = 7 if stem == 'imagenet' else 3
            self.conv1 = nn.Conv2d(in_chans, inplanes, k, stride, k // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.act1 = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if stem == 'imagenet' else nn.Identity()
        for i, n in enumerate(LAYERS[depth]):
            planes = ch(64 * 2 ** i, width)
            blocks = []
            for j in range(n):
                s = 2 if i > 0 and j == 0 else 1
                ds = None
                if s != 1 or inplanes != planes * block.expansion:
                    make = downsample_avg if variant == 'D' else downsample_conv
                    ds = make(inplanes, planes * block.expansion, s)
                blocks.append(block(inplanes, planes, s, ds, variant))
                inplanes = planes * block.expansion
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, num_classes)

    def forward(self, x):
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.global_pool(x), 1))


def save_safetensors(path, state):
    header, chunks, offset = {}, [], 0
    for k, v in state.items():
        v = v.contiguous().cpu()
        dtype = {torch.float32: 'F32', torch.int64: 'I64'}[v.dtype]
        raw = v.numpy().tobytes()
        header[k] = {'dtype': dtype, 'shape': list(v.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)


def rounded(t):
    return [float(f'{v:.8g}') for v in t.flatten().tolist()]


CASES = [
    # name, depth, variant, stem, input size, channels
    ('r18b-imagenet-32', 18, 'B', 'imagenet', 32, 3),
    ('r18c-imagenet-32', 18, 'C', 'imagenet', 32, 3),
    ('r18d-imagenet-33', 18, 'D', 'imagenet', 33, 3),
    ('r18d-cifar-28-grey', 18, 'D', 'cifar', 28, 1),
    ('r50a-imagenet-32', 50, 'A', 'imagenet', 32, 3),
    ('r50b-imagenet-32', 50, 'B', 'imagenet', 32, 3),
    ('r50c-imagenet-32', 50, 'C', 'imagenet', 32, 3),
    ('r50d-imagenet-33', 50, 'D', 'imagenet', 33, 3),
]
WIDTH = 1 / 16
CLASSES = 10
BATCH = 2


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20190101)
    inputs = {}
    for _, _, _, _, size, chans in CASES:
        if (size, chans) not in inputs:
            x = torch.randn(BATCH, chans, size, size)
            inputs[(size, chans)] = x
            with open(os.path.join(OUT, f'input-{size}x{chans}.json'), 'w') as f:
                json.dump({'shape': [BATCH, size, size, chans], 'layout': 'NHWC',
                           'data': rounded(x.permute(0, 2, 3, 1))}, f)
    for name, depth, variant, stem, size, chans in CASES:
        torch.manual_seed(sum(map(ord, name)))
        model = ResNet(depth, variant, CLASSES, chans, stem, WIDTH)
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.uniform_(m.weight, 0.5, 1.5)
                nn.init.normal_(m.bias, 0.0, 0.2)
                m.momentum = None  # cumulative running stats over the calibration batches
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.bias, 0.0, 0.5)
        # Non-trivial running statistics: the true statistics of a few batches of shifted, scaled noise.
        model.train()
        with torch.no_grad():
            for _ in range(3):
                model(torch.randn(8, chans, size, size) * 1.5 + 0.3)
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    # Channels that a ReLU left (almost) constant get a running_var near 0, and eval-mode BN then
                    # multiplies float32 rounding noise by up to 1/sqrt(1e-5): a floor keeps the test about the
                    # architecture, not about how badly conditioned random weights can be.
                    m.running_var.mul_(torch.empty_like(m.running_var).uniform_(0.8, 1.25)).add_(0.05)
        model.eval()
        # Round-trip through the exact float32 values the fixture carries.
        x = torch.tensor(rounded(inputs[(size, chans)].permute(0, 2, 3, 1))).reshape(BATCH, size, size, chans)
        x = x.permute(0, 3, 1, 2).contiguous()
        with torch.no_grad():
            # The reference in float64, so the only float32 rounding compared is tfjs's own.
            logits = model.double()(x.double()).float()
            model.float()
        state = model.state_dict()
        save_safetensors(os.path.join(OUT, f'{name}.safetensors'), state)
        config = {'depth': depth, 'variant': variant, 'numClasses': CLASSES, 'inputSize': size,
                  'inputChannels': chans, 'stem': stem, 'width': WIDTH}
        with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
            json.dump({'config': config, 'input': f'input-{size}x{chans}.json', 'torch': torch.__version__,
                       'params': sum(p.numel() for p in model.parameters()),
                       'logits': {'shape': list(logits.shape), 'data': rounded(logits)}}, f)
        print(name, 'params', sum(p.numel() for p in model.parameters()), 'logits', logits[0, :3].tolist())


if __name__ == '__main__':
    main()
