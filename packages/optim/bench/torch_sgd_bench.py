"""PyTorch reference for update.bench.ts: torch.optim.SGD(nesterov, weight decay) over ResNet-50's parameters.

Prints JSON rows on stdout. Uses torchvision's resnet50 for the shapes when available, else fails (the bench
then skips the PyTorch row). Bench only: nothing in the project needs Python at run time or in CI.
"""
import json
import statistics
import sys
import time

import torch
import torchvision

runs, steps = int(sys.argv[1]), int(sys.argv[2])
torch.manual_seed(0)
model = torchvision.models.resnet50()
params = list(model.parameters())
for p in params:
    p.grad = torch.randn_like(p) * 0.01
decay = [p for p in params if p.ndim > 1]
no_decay = [p for p in params if p.ndim <= 1]
rows = []
for foreach in (False, True):
    try:
        opt = torch.optim.SGD(
            [{'params': decay, 'weight_decay': 1e-4}, {'params': no_decay, 'weight_decay': 0}],
            lr=0.1, momentum=0.9, nesterov=True, foreach=foreach,
        )
    except TypeError:
        continue
    opt.step()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(steps):
            opt.step()
        times.append((time.perf_counter() - start) / steps * 1000)
    med = statistics.median(times)
    rows.append({
        'values': sum(p.numel() for p in params),
        'backend': f'pytorch {torch.__version__} ({torch.get_num_threads()} threads)',
        'candidate': f'torch.optim.SGD nesterov, wd 1e-4 on ndim>1, foreach={foreach}',
        'medianMs': round(med, 2),
        'runsMs': [round(t, 2) for t in times],
        'ratioToReference': 1.0,
    })
print(json.dumps(rows))
