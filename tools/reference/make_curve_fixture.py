#!/usr/bin/env python3
"""Fixtures of the curve-parity test (apps/trainer/test/curve-parity.test.ts), made once with PyTorch.

Run: /usr/bin/python3 tools/reference/make_curve_fixture.py
Writes apps/trainer/test/fixtures/curve-parity/:
  initial.safetensors  the initial weights of a ResNet-18-D at width 1/16 (timm keys): PyTorch's xavier init,
                       zero biases, BN 1/0 and zero gamma on the last BN of every block
  images.u8            64 images, 16 x 16 x 3, uint8, NHWC; the network input is (pixel - 127.5) / 64
  curve.json           the config of the 20 steps, the batches (8 image indices and 8 labels per step), and
                       PyTorch's per-step training loss in float64 and in float32
The 20 steps: NAG (momentum 0.9, nesterov), weight decay 0.01 on conv and fc weights only (no bias decay),
per-iteration linear warmup over 5 steps to lr 0.01, then cosine to 0 at step 20, label smoothing 0.1
(uniform form), no augmentation, no mixup. The learning rate comes from train.py's build_schedule, which
tools/reference/check_lr.py checks against ours. The loss of a step is the loss of its batch before its
update, as our TrainingStep reports it.
The tolerance: this tiny network's 20 steps are sensitive to float32 rounding in most settings (PyTorch's own
float32 and float64 curves end 0.04 to 0.6 apart at lr 0.01-0.1 with random BN affine parameters, from
discrete events, not smooth chaos: float64 twins 1e-10 apart stay 1e-8 apart). With zero gamma and this
seed they stay within float32 noise. The float32 noise is measured: PyTorch float32 runs from the initial
weights and from 4 copies perturbed by 2e-8 relative (an ulp or so, as another summation order would) against
the float64 curve; the tolerance of step s is 10 x the largest of those differences up to step s, and at
least 2e-5. The fixture also records how far the curve moves when the recipe is slightly wrong (decay on every
parameter, no smoothing, no nesterov, lr x 1.01, momentum 0.89), in units of that tolerance.
Nothing at run time or in CI needs Python.
"""
import copy
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, HERE)
from train import build_model, build_schedule, init_model, make_optimizer, save_safetensors, training_loss  # noqa

OUT = os.path.join(REPO, 'apps', 'trainer', 'test', 'fixtures', 'curve-parity')
SIZE, CHANNELS, CLASSES, IMAGES, BATCH, STEPS = 16, 3, 10, 64, 8, 20
CONFIG = {
    'depth': 18, 'variant': 'D', 'width': 0.0625, 'stem': 'cifar', 'inputSize': SIZE, 'zeroGamma': True,
    'init': 'xavier-uniform', 'epochs': 2, 'batchSize': BATCH, 'accumulate': 1, 'lr': 0.01, 'momentum': 0.9,
    'nesterov': True, 'weightDecay': 0.01, 'noBiasDecay': True, 'clipGrad': None, 'schedule': 'cosine',
    'milestones': [], 'stepGamma': 0.1, 'warmupEpochs': 0.5, 'labelSmoothing': 0.1, 'smoothingForm': 'uniform',
    'mixupAlpha': 0, 'cutmixAlpha': 0, 'mixupOffEpochs': 0, 'fp16': False,
}
STEPS_PER_EPOCH = STEPS // CONFIG['epochs']
SEED = 2


def make_data(g):
    """Class-dependent images: a bright square of a class colour at a class position on noise."""
    labels = torch.arange(IMAGES) % CLASSES
    x = torch.randint(0, 120, (IMAGES, SIZE, SIZE, CHANNELS), generator=g).float()
    colours = torch.randint(60, 255, (CLASSES, CHANNELS), generator=g).float()
    for i in range(IMAGES):
        c = int(labels[i])
        top, left = (c // 4) * 4 + int(torch.randint(0, 3, (1,), generator=g)), (c % 4) * 4
        x[i, top:top + 5, left:left + 5, :] = colours[c]
    return x.clamp(0, 255).to(torch.uint8), labels


def run(model, config, images, batches, dtype):
    model = copy.deepcopy(model).to(dtype)
    model.train()
    optimizer = make_optimizer(model, config)
    schedule = build_schedule(config, STEPS_PER_EPOCH)
    losses = []
    for s, (index, labels) in enumerate(batches):
        x = ((images[index].to(dtype) - 127.5) / 64).permute(0, 3, 1, 2)
        q = torch.nn.functional.one_hot(torch.tensor(labels), CLASSES).to(dtype)
        for group in optimizer.param_groups:
            group['lr'] = schedule(s)
        loss = training_loss(config, model(x), q, None)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return losses


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(SEED)
    images, labels = make_data(g)
    batches = []
    for _ in range(STEPS):
        index = torch.randperm(IMAGES, generator=g)[:BATCH]
        batches.append((index.tolist(), labels[index].tolist()))
    torch.manual_seed(SEED)
    model = build_model(18, 'D', CONFIG['width'], 'cifar', CLASSES, CHANNELS)
    init_model(model, CONFIG)
    save_safetensors(os.path.join(OUT, 'initial.safetensors'), model.state_dict())
    with open(os.path.join(OUT, 'images.u8'), 'wb') as f:
        f.write(images.numpy().tobytes())
    loss64 = run(model, CONFIG, images, batches, torch.float64)
    loss32 = run(model, CONFIG, images, batches, torch.float32)
    noise = [abs(a - b) for a, b in zip(loss32, loss64)]
    for k in range(4):
        torch.manual_seed(100 + k)
        perturbed = copy.deepcopy(model)
        with torch.no_grad():
            for p in perturbed.parameters():
                p.copy_((p.double() * (1 + 2e-8 * torch.randn_like(p.double()))).float())
        curve = run(perturbed, CONFIG, images, batches, torch.float32)
        noise = [max(n, abs(a - b)) for n, a, b in zip(noise, curve, loss64)]
    envelope = [max(noise[:s + 1]) for s in range(STEPS)]
    tolerance = [max(10 * e, 2e-5) for e in envelope]
    wrong = {
        'decay on every parameter': {**CONFIG, 'noBiasDecay': False},
        'no label smoothing': {**CONFIG, 'labelSmoothing': 0},
        'plain momentum': {**CONFIG, 'nesterov': False},
        'lr x 1.01': {**CONFIG, 'lr': CONFIG['lr'] * 1.01},
        'momentum 0.89': {**CONFIG, 'momentum': 0.89},
    }
    moved = {}
    for name, config in wrong.items():
        curve = run(model, config, images, batches, torch.float64)
        # The largest move of the curve, in units of the step's tolerance.
        moved[name] = max(abs(a - b) / t for a, b, t in zip(curve, loss64, tolerance))
    fixture = {
        'generator': 'tools/reference/make_curve_fixture.py', 'torch': torch.__version__,
        'config': CONFIG, 'stepsPerEpoch': STEPS_PER_EPOCH, 'numClasses': CLASSES,
        'imageShape': [IMAGES, SIZE, SIZE, CHANNELS], 'input': '(pixel - 127.5) / 64',
        'batches': [{'index': i, 'labels': l} for i, l in batches],
        'lossFloat64': loss64, 'lossFloat32': loss32,
        'float32Noise': noise, 'tolerance': tolerance,
        'wrongRecipeMovesInTolerances': moved,
    }
    with open(os.path.join(OUT, 'curve.json'), 'w') as f:
        json.dump(fixture, f, indent=1)
        f.write('\n')
    print('float64', [round(v, 6) for v in loss64])
    print('float32 noise per step', ['%.1e' % v for v in noise])
    print('tolerance per step', ['%.1e' % v for v in tolerance])
    print('wrong recipes move the curve by (in tolerances)', moved)


if __name__ == '__main__':
    main()
