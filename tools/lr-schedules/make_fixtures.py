"""Golden learning-rate sequences from PyTorch's schedulers for @bot/lr-schedules' tests.

Run once with Debian's python3-torch:  /usr/bin/python3 tools/lr-schedules/make_fixtures.py
Writes packages/lr-schedules/test/fixtures/pytorch-schedules.json. lrs[s] is the rate the optimizer
uses for iteration s (read before the s-th optimizer.step(); scheduler.step() after it).
"""

import json
import pathlib

import torch
from torch.optim import lr_scheduler as S

OUT = pathlib.Path(__file__).resolve().parents[2] / 'packages/lr-schedules/test/fixtures/pytorch-schedules.json'


def run(base_lr, make, steps):
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base_lr)
    sched = make(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        sched.step()
    return lrs


CASES = [
    ('LinearLR', 0.4, dict(start_factor=0.25, end_factor=1.0, total_iters=8), 12),
    ('LinearLR', 0.1, dict(start_factor=1.0, end_factor=0.05, total_iters=10), 14),
    ('StepLR', 0.1, dict(step_size=3, gamma=0.5), 13),
    ('StepLR', 0.4, dict(step_size=5, gamma=0.1), 17),
    ('MultiStepLR', 0.1, dict(milestones=[2, 5, 9], gamma=0.1), 12),
    ('MultiStepLR', 0.8, dict(milestones=[3, 4, 10], gamma=0.5), 14),
    # Steps beyond T_max are kept: PyTorch's recursive form rises again there, ours holds eta_min.
    ('CosineAnnealingLR', 0.1, dict(T_max=10, eta_min=0.001), 16),
    ('CosineAnnealingLR', 0.4, dict(T_max=7, eta_min=0.0), 10),
    ('CosineAnnealingWarmRestarts', 0.1, dict(T_0=4, T_mult=1, eta_min=0.0), 14),
    ('CosineAnnealingWarmRestarts', 0.2, dict(T_0=3, T_mult=2, eta_min=0.01), 30),
    ('CosineAnnealingWarmRestarts', 0.05, dict(T_0=2, T_mult=3, eta_min=0.001), 30),
    ('ExponentialLR', 0.1, dict(gamma=0.9), 12),
    ('PolynomialLR', 0.1, dict(total_iters=8, power=2.0), 11),
    ('PolynomialLR', 0.3, dict(total_iters=6, power=1.0), 9),
]


def main():
    cases = []
    for name, base_lr, kwargs, steps in CASES:
        cls = getattr(S, name)
        lrs = run(base_lr, lambda opt: cls(opt, **kwargs), steps)
        cases.append({'scheduler': name, 'baseLr': base_lr, 'kwargs': kwargs, 'lrs': lrs})
    doc = {'torch': torch.__version__, 'cases': cases}
    OUT.write_text(json.dumps(doc, indent=1) + '\n')
    print(f'wrote {len(cases)} cases to {OUT}')


if __name__ == '__main__':
    main()
