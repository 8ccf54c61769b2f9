"""Golden fixtures for @bot/optim, produced once with Debian's python3-torch (1.13).

Run: /usr/bin/python3 tools/optim/make_fixtures.py
Writes packages/optim/test/fixtures/sgd-trajectories.json and clip-grad-norm.json.
Nothing at run time or in CI needs Python; the JSON files are committed.
"""
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'optim', 'test', 'fixtures')

# tfjs-layers style names; which ones the default "no bias decay" filter decays.
PARAMS = [
    ('conv1/kernel', [2, 2, 2, 4], True),
    ('bn1/gamma', [4], False),
    ('bn1/beta', [4], False),
    ('fc/kernel', [4, 3], True),
    ('fc/bias', [3], False),
]
STEPS = 7


def warmup_cosine(step, base=0.4, warmup=3, total=STEPS):
    """Linear warmup from base/warmup to base over `warmup` steps, then cosine to 0 at `total`."""
    if step < warmup:
        return base * (step + 1) / warmup
    t = (step - warmup) / (total - warmup)
    return 0.5 * base * (1 + math.cos(math.pi * t))


def f32list(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def trajectory(config, mode, seed):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn(shape, generator=g) for (_, shape, _) in PARAMS]
    # Quadratic-plus-linear loss coefficients for the 'loss' mode: 0.5*sum(c*p^2) + sum(d*p).
    coef_c = [torch.rand(shape, generator=g) * 2 for (_, shape, _) in PARAMS]
    coef_d = [torch.randn(shape, generator=g) for (_, shape, _) in PARAMS]
    grads_given = [[torch.randn(shape, generator=g) for (_, shape, _) in PARAMS] for _ in range(STEPS)]

    initial = [f32list(p) for p in params]
    tparams = [torch.nn.Parameter(p.clone()) for p in params]
    decayed = [tp for tp, (_, _, d) in zip(tparams, PARAMS) if d]
    plain = [tp for tp, (_, _, d) in zip(tparams, PARAMS) if not d]
    opt = torch.optim.SGD(
        [
            {'params': decayed, 'weight_decay': config['weightDecay']},
            {'params': plain, 'weight_decay': 0.0},
        ],
        lr=0.1,
        momentum=config['momentum'],
        dampening=config['dampening'],
        nesterov=config['nesterov'],
    )
    lrs, after = [], []
    for step in range(STEPS):
        lr = warmup_cosine(step)
        lrs.append(lr)
        for group in opt.param_groups:
            group['lr'] = lr
        opt.zero_grad()
        if mode == 'grads':
            for tp, gr in zip(tparams, grads_given[step]):
                tp.grad = gr.clone()
        else:
            loss = sum((0.5 * c * tp * tp + d * tp).sum() for tp, c, d in zip(tparams, coef_c, coef_d))
            loss.backward()
        opt.step()
        after.append([f32list(tp) for tp in tparams])
    out = {
        'config': config,
        'mode': mode,
        'lrs': lrs,
        'params': [{'name': n, 'shape': s, 'decayed': d} for (n, s, d) in PARAMS],
        'initial': initial,
        'after': after,
    }
    if mode == 'grads':
        out['grads'] = [[f32list(gr) for gr in step] for step in grads_given]
    else:
        out['c'] = [f32list(c) for c in coef_c]
        out['d'] = [f32list(d) for d in coef_d]
    return out


def clip_case(seed, max_norm, scale):
    g = torch.Generator().manual_seed(seed)
    shapes = [[3, 4], [5], [2, 2, 2]]
    grads = [torch.randn(s, generator=g) * scale for s in shapes]
    ps = [torch.nn.Parameter(torch.zeros(s)) for s in shapes]
    for p, gr in zip(ps, grads):
        p.grad = gr.clone()
    norm = torch.nn.utils.clip_grad_norm_(ps, max_norm)
    return {
        'maxNorm': max_norm,
        'shapes': shapes,
        'grads': [f32list(gr) for gr in grads],
        'norm': float(norm),
        'clipped': [f32list(p.grad) for p in ps],
    }


def main():
    configs = [
        ({'momentum': 0.9, 'nesterov': True, 'dampening': 0.0, 'weightDecay': 0.01}, 'grads', 1),
        ({'momentum': 0.9, 'nesterov': True, 'dampening': 0.0, 'weightDecay': 0.05}, 'loss', 2),
        ({'momentum': 0.9, 'nesterov': False, 'dampening': 0.1, 'weightDecay': 0.01}, 'grads', 3),
        ({'momentum': 0.0, 'nesterov': False, 'dampening': 0.0, 'weightDecay': 0.02}, 'grads', 4),
    ]
    trajectories = [trajectory(c, m, s) for (c, m, s) in configs]
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'sgd-trajectories.json'), 'w') as f:
        json.dump({'generator': f'torch {torch.__version__} torch.optim.SGD', 'trajectories': trajectories}, f)
    clips = [clip_case(10, 1.0, 1.0), clip_case(11, 100.0, 1.0), clip_case(12, 0.5, 1e3)]
    with open(os.path.join(OUT, 'clip-grad-norm.json'), 'w') as f:
        json.dump({'generator': f'torch {torch.__version__} clip_grad_norm_', 'cases': clips}, f)


if __name__ == '__main__':
    main()
