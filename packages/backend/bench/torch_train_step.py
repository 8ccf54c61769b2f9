"""PyTorch reference for bench:train: ResNet-50-D training steps (SGD, Nesterov momentum), the network the
bench trains in tfjs, built from torchvision's ResNet-50.

Usage: torch_train_step.py BATCH SIZE THREADS STEPS [cpu|cuda] [fp32|amp]
On cuda, 'amp' is autocast to float16 with a GradScaler and channels_last memory format (NVIDIA's recipe).
On cpu it also times ResNet-50's layer1 3x3 convolution with both gradients on one thread.
"""
import contextlib
import json
import sys
import time

import torch
import torchvision
from torch import nn

batch, size, threads, steps = (int(a) for a in sys.argv[1:5])
device = sys.argv[5] if len(sys.argv) > 5 else "cpu"
precision = sys.argv[6] if len(sys.argv) > 6 else "fp32"
amp = precision == "amp"
torch.set_num_threads(threads)
torch.manual_seed(0)
if device == "cuda":
    torch.backends.cudnn.benchmark = True


def resnet50d():
    """torchvision's ResNet-50 (stride on the 3x3) with ResNet-D's deep stem and average-pool shortcuts."""
    model = torchvision.models.resnet50(num_classes=1000)

    def conv_bn_relu(cin, cout, stride):
        return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    # bn1 and relu of torchvision's stem follow the third convolution.
    model.conv1 = nn.Sequential(*conv_bn_relu(3, 32, 2), *conv_bn_relu(32, 32, 1), nn.Conv2d(32, 64, 3, 1, 1, bias=False))
    for layer in (model.layer2, model.layer3, model.layer4):
        conv, bn = layer[0].downsample[0], layer[0].downsample[1]
        shortcut = nn.Conv2d(conv.in_channels, conv.out_channels, 1, 1, bias=False)
        layer[0].downsample = nn.Sequential(nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False), shortcut, bn)
    return model


def layer_gflops_one_thread(reps=5):
    """ResNet-50's layer1 3x3 convolution (56x56, 64 -> 64 channels, batch 2) forward + dX + dW on one
    thread, as bench:train times it in tfjs: the conv engine's own rate (oneDNN; this build's matmul is a
    generic BLAS that the step does not use)."""
    torch.set_num_threads(1)
    x = torch.randn(2, 64, 56, 56, requires_grad=True)
    w = torch.randn(64, 64, 3, 3, requires_grad=True)
    dy = torch.randn(2, 64, 56, 56)

    def run():
        x.grad, w.grad = None, None
        (torch.conv2d(x, w, padding=1) * dy).sum().backward()

    run()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    torch.set_num_threads(threads)
    return 3 * 2 * 2 * 56 * 56 * 64 * 64 * 9 / sorted(times)[reps // 2] / 1e9


model = resnet50d().to(device)
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
    # torch 1.13 refuses a float16 autocast on the CPU even when disabled: only enter it for amp.
    with torch.autocast(device_type=device, dtype=torch.float16) if amp else contextlib.nullcontext():
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
    "model": "resnet50d",
    "device": device,
    "precision": precision,
    "batch": batch,
    "threads": threads,
    "step_s": times,
    "median_s": times[len(times) // 2],
}
if device == "cpu":
    result["layer_gflops_one_thread"] = layer_gflops_one_thread()
if device == "cuda":
    result["gpu"] = torch.cuda.get_device_name()
    result["peak_memory_bytes"] = torch.cuda.max_memory_allocated()
print(json.dumps(result))
