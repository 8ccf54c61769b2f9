"""Reference for resnet.bench.ts: torchvision's ResNet-50 (variant B) and the timm-structured ResNet-50-D from
tools/resnet-variants/make_fixtures.py, forward at 224, batch 1, eval mode, on this CPU with PyTorch 1.13.
Prints one JSON line: median milliseconds per model and thread count. Bench only; nothing else needs Python."""
import json
import os
import statistics
import sys
import time

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', 'tools', 'resnet-variants'))
from make_fixtures import ResNet  # noqa: E402

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
out = {}
for threads in sorted({1, os.cpu_count() or 1}):
    torch.set_num_threads(threads)
    for name, model in (('resnet50d', ResNet(50, 'D', 1000, 3, 'imagenet', 1)),
                        ('resnet50b', torchvision.models.resnet50())):
        model.eval()
        x = torch.randn(1, 3, 224, 224)
        times = []
        with torch.no_grad():
            model(x)
            for _ in range(runs):
                t = time.perf_counter()
                model(x)
                times.append((time.perf_counter() - t) * 1000)
        out[f'{name}@{threads}t'] = statistics.median(times)
print(json.dumps(out))
