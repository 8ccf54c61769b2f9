"""PyTorch reference for bench:train: torchvision ResNet-50 training steps (SGD, Nesterov momentum).

Usage: torch_train_step.py BATCH SIZE THREADS STEPS [cpu|cuda] [fp32|amp]
On cuda, 'amp' is autocast to float16 with a GradScaler and channels_last memory format (NVIDIA's recipe).
"""
import json
import sys
import time

import torch
import torchvision

batch, size, threads, steps = (int(a) for a in sys.argv[1:5])
device = sys.argv[5] if len(sys.argv) > 5 else "cpu"
precision = sys.argv[6] if len(sys.argv) > 6 else "fp32"
amp = precision == "amp"
torch.set_num_threads(threads)
torch.manual_seed(0)
if device == "cuda":
    torch.backends.cudnn.benchmark = True
model = torchvision.models.resnet50(num_classes=1000).to(device)
memory_format = torch.channels_last if amp else torch.contiguous_format
model = model.to(memory_format=memory_format)
model.train()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
if device != "cuda":
    scaler = None
elif hasattr(torch.amp, "GradScaler"):  # torch 2.3 and later; torch.cuda.amp.GradScaler is deprecated there
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
else:
    scaler = torch.cuda.amp.GradScaler(enabled=amp)
loss_fn = torch.nn.CrossEntropyLoss()
x = torch.randn(batch, 3, size, size, device=device).to(memory_format=memory_format)
y = torch.randint(0, 1000, (batch,), device=device)


def step():
    opt.zero_grad(set_to_none=True)
    with torch.autocast(device_type=device, dtype=torch.float16, enabled=amp):
        loss = loss_fn(model(x), y)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    else:
        loss.backward()
        opt.step()
    return loss.item()


for _ in range(3 if device == "cuda" else 1):
    step()
if device == "cuda":
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
times = []
for _ in range(steps):
    t = time.perf_counter()
    step()
    times.append(time.perf_counter() - t)
times.sort()
result = {
    "torch": torch.__version__,
    "device": device,
    "precision": precision,
    "batch": batch,
    "threads": threads,
    "step_s": times,
    "median_s": times[len(times) // 2],
}
if device == "cuda":
    result["gpu"] = torch.cuda.get_device_name()
    result["peak_memory_bytes"] = torch.cuda.max_memory_allocated()
print(json.dumps(result))
