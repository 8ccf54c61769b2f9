"""PyTorch reference for bench:train: torchvision ResNet-50 training steps (SGD, Nesterov momentum)."""
import json
import sys
import time

import torch
import torchvision

batch, size, threads, steps = (int(a) for a in sys.argv[1:5])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = torchvision.models.resnet50(num_classes=1000)
model.train()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
loss_fn = torch.nn.CrossEntropyLoss()
x = torch.randn(batch, 3, size, size)
y = torch.randint(0, 1000, (batch,))


def step():
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


step()
times = []
for _ in range(steps):
    t = time.perf_counter()
    step()
    times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"torch": torch.__version__, "batch": batch, "threads": threads, "step_s": times, "median_s": times[len(times) // 2]}))
