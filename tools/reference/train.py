#!/usr/bin/env python3
"""PyTorch reference trainer: trains one bot-train run config with PyTorch, on the same files.

Run (Debian's python3-torch and python3-torchvision; never needed at run time or in CI):
    /usr/bin/python3 tools/reference/train.py --config <run folder>/config.json [--run-dir <folder>]

The input is a resolved run config exactly as bot-train writes it (a run folder's config.json, or the per-run
files of `bot-train ablate --plan-only` under <study>/configs/). Every field is checked against what this
trainer implements (CHECKS below): a field or value it does not implement stops it with an error naming the
field, the value and what is allowed, instead of being ignored.

What it reproduces of our trainer (apps/trainer), independently, in PyTorch:
- data: the very images (tools/reference/export-data.mjs writes them with @bot/data), in the same order and
  labels; the loader's epoch: a fresh permutation per epoch, drop_last, batches of batchSize.
- model: timm-named ResNet A-D from tools/resnet-variants/make_fixtures.py (the architecture the golden
  tests of @bot/resnet-variants check), BatchNorm2d eps 1e-5 momentum 0.1 (ours: the same); init with
  PyTorch's own xavier_uniform_ (he-normal: trunc_normal_ at 2 std, as tfjs's heNormal), zero biases, BN
  gamma 1 / beta 0, zero gamma on the last BN of every block. Or the weights of a .safetensors file.
- optimizer: torch.optim.SGD(nesterov=True, dampening 0), the learning rate of @bot/lr-schedules'
  efficientRecipe set before every step (per-iteration linear warmup, then cosine or step decay), weight
  decay on conv and fc weights only when noBiasDecay (the parameters with more than one dimension), on every
  parameter otherwise.
- loss: cross-entropy on soft targets with label smoothing (uniform eps/K or paper eps/(K-1)), mixup (one
  lambda ~ Beta(alpha, alpha) per batch, paired with the batch reversed, off for the last mixupOffEpochs
  epochs), distillation (paper: CE + T^2 CE(z/T, softmax(r/T)); gluoncv: (1 - w) T^2 ... + w CE) from a
  teacher in eval mode that sees the same (mixed) batch.
- augmentation: torchvision transforms with our parameters ('imagenet': RandomResizedCrop, flip,
  ColorJitter, PCA lighting, Normalize; val: resize to size/0.875 + centre crop; 'small': pad + random crop +
  flip). The random streams are PyTorch's (seeded by the run seed), not ours.
- output: <run>/metrics.jsonl with our step and epoch records, config.json, initial.safetensors and
  model.safetensors (the first and last weights, timm keys),
  reference.json (what trained it), a checkpoint per epoch (reference.pt) to resume from.
"""
import argparse
import hashlib
import json
import math
import os
import random
import struct
import subprocess
import sys
import time
from datetime import datetime, timezone

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(REPO, 'tools', 'resnet-variants'))
from make_fixtures import ResNet, save_safetensors  # noqa: E402  (the timm-named ResNet A-D)

IMAGENET_MEAN = [123.675, 116.28, 103.53]
IMAGENET_STD = [58.395, 57.12, 57.375]
FASHION_MEAN = [72.94]
FASHION_STD = [90.02]
EIGVAL = torch.tensor([55.46, 4.794, 1.148])
EIGVEC = torch.tensor([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.814], [-0.5836, -0.6948, 0.4203]])
SMALL_IMAGE_MAX = 64


class ConfigError(Exception):
    pass


# ---------------------------------------------------------------------------------------------- the config

def _one_of(*allowed):
    return lambda v: None if v in allowed else f'allowed: {", ".join(json.dumps(a) for a in allowed)}'


def _any(_v):
    return None


def _number(v):
    return None if isinstance(v, (int, float)) and not isinstance(v, bool) else 'must be a number'


def _teacher(v):
    return None if v is None or isinstance(v, str) else 'must be null or a path'


def _initial(v):
    if v is None or (isinstance(v, str) and v.endswith('.safetensors')):
        return None
    return 'null or a .safetensors file (a tfjs .ckpt cannot be read here: export it to safetensors)'


# Every field of apps/trainer/src/config.ts, and what this trainer implements of it. A field missing here
# (a new one) is an error too.
CHECKS = {
    'preset': _any,  # only a name: the resolved fields below are the recipe
    'data': lambda v: None if isinstance(v, str) and v else 'must be fashion-mnist, synthetic or a folder',
    'trainLimit': _any, 'valLimit': _any,  # applied by export-data.mjs as the trainer applies them
    'syntheticClasses': _any, 'syntheticPerClass': _any, 'syntheticSize': _any,
    'depth': _one_of(18, 34, 50, 101, 152),
    'variant': _one_of('A', 'B', 'C', 'D'),
    'width': _number,
    'stem': _one_of('imagenet', 'cifar'),
    'inputSize': _number,
    'zeroGamma': _one_of(True, False),
    'init': _one_of('xavier-uniform', 'he-normal'),
    'initialCheckpoint': _initial,
    'aug': _one_of('auto', 'imagenet', 'small', 'none'),
    'scale': _any, 'ratio': _any, 'hflip': _number, 'colorJitter': _number, 'pcaNoise': _number,
    'interpolation': _one_of('bilinear', 'bilinear-pil'),  # both are PIL's bilinear here
    'epochs': _number,
    'batchSize': _number,
    'accumulate': _one_of(1),  # micro-batches (BN statistics per micro-batch) are not implemented
    'lr': _number,
    'lrBase': _any,  # already applied: lr is the peak rate
    'momentum': _number,
    'nesterov': _one_of(True, False),
    'weightDecay': _number,
    'noBiasDecay': _one_of(True, False),
    'clipGrad': lambda v: None if v is None or _number(v) is None else 'must be null or a number',
    'schedule': _one_of('step', 'cosine'),
    'milestones': _any, 'stepGamma': _number, 'warmupEpochs': _number,
    'labelSmoothing': _number,
    'smoothingForm': _one_of('uniform', 'paper'),
    'mixupAlpha': _number,
    'cutmixAlpha': _one_of(0),  # CutMix is not implemented here
    'mixupOffEpochs': _number,
    'teacher': _teacher,
    'teacherDepth': _any, 'teacherVariant': _any, 'teacherWidth': _any,  # used for a .safetensors teacher
    'distillTemperature': _number, 'distillWeight': _number,
    'distillForm': _one_of('paper', 'gluoncv'),
    'fp16': _one_of(False),  # FP16 emulation is not implemented here
    'initLossScale': _any,  # FP16 only
    'seed': _number,
    # How our trainer runs, not what it computes:
    'workers': _any, 'replicas': _any, 'backend': _any, 'logEvery': _number, 'runsDir': _any,
    'augmentOn': _any,  # where our trainer augments (host or device): the same transforms either way
    'runName': _any, 'export': _any,
}


# Fields newer than some saved configs; a config without one predates it (and had its default's behaviour).
ADDED_LATER = {'augmentOn'}


def check_config(config, where):
    problems = []
    for key, value in config.items():
        if key not in CHECKS:
            problems.append(f'{key} = {json.dumps(value)}: a field this reference trainer does not know; '
                            f'implement it in tools/reference/train.py (CHECKS) first')
            continue
        why = CHECKS[key](value)
        if why:
            problems.append(f'{key} = {json.dumps(value)}: not implemented by the reference trainer; {why}')
    missing = [k for k in CHECKS if k not in config and k not in ADDED_LATER]
    if missing:
        problems.append(f'missing field(s) {", ".join(missing)}: pass a config resolved by bot-train')
    if problems:
        raise ConfigError(f'{where}:\n  ' + '\n  '.join(problems))
    return config


# -------------------------------------------------------------------------------------------- the schedule

def js_round(x):
    """JavaScript's Math.round (half up), which @bot/lr-schedules uses; Python's round() is half-even."""
    return math.floor(x + 0.5)


def build_schedule(c, steps_per_epoch):
    """The learning rate of each optimizer step, as apps/trainer/src/integrations/schedule.ts builds it from
    @bot/lr-schedules (efficientRecipe: warmup, then warmupCosine or a multi-step decay)."""
    spe = steps_per_epoch
    total = c['epochs'] * spe
    warmup_epochs = min(c['warmupEpochs'], (total - 1) / spe)
    warm = js_round(warmup_epochs * spe)
    peak = (c['lr'] * 256) / 256

    def warmup(step):
        return peak if step + 1 >= warm else (peak * (step + 1)) / warm

    if c['schedule'] == 'cosine':
        steps = js_round(c['epochs'] * spe) - warm
        if steps <= 0:
            raise ConfigError(f'warmupEpochs = {c["warmupEpochs"]}: leaves no step for the cosine')

        def after(t):
            if t >= steps:
                return 0.0
            return 0.0 + ((peak - 0.0) * (1 + math.cos((math.pi * t) / steps))) / 2
    else:
        milestones = [js_round(e * spe) - warm for e in c['milestones'] if e * spe > warm]
        gamma = c['stepGamma']

        def after(t):
            passed = sum(1 for m in milestones if m <= t)
            return peak * gamma ** passed

    if warm == 0:
        return after
    return lambda step: warmup(step) if step < warm else after(step - warm)


# ----------------------------------------------------------------------------------------------- the data

def data_key(c):
    if c['data'] == 'fashion-mnist':
        key = f'fashion-mnist-t{c["trainLimit"]}-v{c["valLimit"]}'
    elif c['data'] == 'synthetic':
        key = (f'synthetic-c{c["syntheticClasses"]}-n{c["syntheticPerClass"]}-s{c["syntheticSize"]}'
               f'-seed{c["seed"]}-t{c["trainLimit"]}-v{c["valLimit"]}')
    else:
        digest = hashlib.sha1(os.path.abspath(c['data']).encode()).hexdigest()[:10]
        key = f'folder-{digest}-t{c["trainLimit"]}-v{c["valLimit"]}'
    return key


def export_data(config_path, c, data_dir):
    """Runs tools/reference/export-data.mjs (our @bot/data) once for this data set."""
    if os.path.exists(os.path.join(data_dir, 'data.json')):
        return
    cmd = ['node', os.path.join(HERE, 'export-data.mjs'), '--config', config_path, '--out', data_dir]
    subprocess.run(cmd, check=True, cwd=REPO)


def recipe_of(c):
    if c['aug'] != 'auto':
        return c['aug']
    return 'small' if c['inputSize'] <= SMALL_IMAGE_MAX else 'imagenet'


class Lighting:
    """AlexNet PCA lighting noise on [0, 1] pixels: + eigvec (alpha * eigval) / 255, alpha ~ N(0, std)."""

    def __init__(self, alpha_std):
        self.alpha_std = alpha_std

    def __call__(self, x):
        alpha = torch.normal(0.0, self.alpha_std, size=(3,))
        offset = EIGVEC @ (alpha * EIGVAL)
        return x + (offset / 255).view(3, 1, 1)


class Data:
    """The exported images of a run, and its train and validation transforms (torchvision's)."""

    def __init__(self, c, data_dir):
        with open(os.path.join(data_dir, 'data.json')) as f:
            meta = json.load(f)
        self.classes = meta['classes']
        self.channels = meta['channels']
        self.kind = meta['kind']
        size = c['inputSize']
        self.recipe = recipe_of(c)
        if self.kind == 'arrays':
            if size != 28:
                raise ConfigError(f'inputSize = {size}: Fashion-MNIST images are 28x28')
            mean, std = FASHION_MEAN, FASHION_STD
            self.train_x, self.train_y = self._arrays(data_dir, meta['train'])
            self.val_x, self.val_y = self._arrays(data_dir, meta['val'])
        else:
            mean, std = IMAGENET_MEAN, IMAGENET_STD
            self.train_x, self.train_y = self._images(meta['train']['files'])
            self.val_x, self.val_y = self._images(meta['val']['files'])
        # Normalize on the [0, 1] scale: (x / 255 - mean / 255) / (std / 255), our (x - mean) / std.
        self.normalize = T.Normalize([m / 255 for m in mean], [s / 255 for s in std])
        bilinear = T.InterpolationMode.BILINEAR
        at_size = [] if self.kind == 'arrays' else [T.Resize(size, interpolation=bilinear), T.CenterCrop(size)]
        padding = 2 if self.kind == 'arrays' else js_round(size / 8)
        if self.recipe == 'imagenet':
            if self.kind == 'arrays':
                raise ConfigError("aug = 'imagenet': not implemented for Fashion-MNIST by the reference trainer")
            self.geometry = T.Compose([
                T.RandomResizedCrop(size, scale=tuple(c['scale']), ratio=tuple(c['ratio']), interpolation=bilinear),
                T.RandomHorizontalFlip(c['hflip'])])
            j = c['colorJitter']
            pixel = [T.ColorJitter(brightness=j, contrast=j, saturation=j)] if j > 0 else []
            if c['pcaNoise'] > 0:
                pixel.append(Lighting(c['pcaNoise']))
            self.pixel = T.Compose(pixel + [self.normalize])
            self.val_geometry = T.Compose([T.Resize(js_round(size / 0.875), interpolation=bilinear),
                                           T.CenterCrop(size)])
        elif self.recipe == 'small':
            self.geometry = T.Compose(at_size + [T.RandomCrop(size, padding=padding, fill=0),
                                                 T.RandomHorizontalFlip(c['hflip'])])
            self.pixel = self.normalize
            self.val_geometry = T.Compose(at_size)
        else:
            self.geometry = T.Compose(at_size)
            self.pixel = self.normalize
            self.val_geometry = T.Compose(at_size)

    @staticmethod
    def _arrays(data_dir, split):
        n, h, w, ch = split['shape']
        with open(os.path.join(data_dir, split['pixels']), 'rb') as f:
            raw = f.read()
        x = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(n, h, w, ch).permute(0, 3, 1, 2).contiguous()
        return x, torch.tensor(split['labels'], dtype=torch.long)

    @staticmethod
    def _images(files):
        images = []
        for path, _ in files:
            with Image.open(path) as im:
                images.append(im.convert('RGB'))
        return images, torch.tensor([label for _, label in files], dtype=torch.long)

    def _one(self, images, i, geometry, pixel):
        if self.kind == 'arrays':
            img = images[i]  # uint8 [C, H, W]
            return pixel(geometry(img).float() / 255)
        return pixel(TF.to_tensor(geometry(images[i])))

    def batch(self, indices, train):
        images = self.train_x if train else self.val_x
        labels = self.train_y if train else self.val_y
        geometry, pixel = (self.geometry, self.pixel) if train else (self.val_geometry, self.normalize)
        x = torch.stack([self._one(images, int(i), geometry, pixel) for i in indices])
        return x, labels[indices]


# ---------------------------------------------------------------------------------------------- the model

def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    dtypes = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64, 'F16': torch.float16}
    out = {}
    for key, spec in header.items():
        if key == '__metadata__':
            continue
        a, b = spec['data_offsets']
        t = torch.frombuffer(bytearray(body[a:b]), dtype=dtypes[spec['dtype']]) if b > a else \
            torch.zeros(0, dtype=dtypes[spec['dtype']])
        out[key] = t.reshape(spec['shape']).clone()
    return out


def build_model(depth, variant, width, stem, num_classes, channels):
    return ResNet(depth, variant, num_classes, channels, stem, width)


def init_model(model, c):
    """PyTorch's own implementation of the config's init: conv and fc weights, zero biases, BN 1/0, zero gamma."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            if c['init'] == 'xavier-uniform':
                nn.init.xavier_uniform_(m.weight)
            else:
                fan_in = nn.init._calculate_correct_fan(m.weight, 'fan_in')
                std = math.sqrt(2.0 / fan_in)
                nn.init.trunc_normal_(m.weight, 0.0, std, -2 * std, 2 * std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    if c['zeroGamma']:
        for name, m in model.named_modules():
            last = 'bn3' if hasattr(m, 'bn3') else 'bn2' if hasattr(m, 'conv2') and hasattr(m, 'bn2') else None
            if name.startswith('layer') and name.count('.') == 1 and last:
                nn.init.zeros_(getattr(m, last).weight)


def load_weights(model, path, what):
    state = read_safetensors(path)
    mine = model.state_dict()
    wrong = [k for k in mine if k not in state or tuple(state[k].shape) != tuple(mine[k].shape)]
    extra = [k for k in state if k not in mine]
    if wrong or extra:
        raise ConfigError(f'{what} = {json.dumps(path)}: does not fit the model: '
                          f'missing or misshapen {wrong[:5]}, unexpected {extra[:5]}')
    model.load_state_dict({k: v.to(mine[k].dtype) for k, v in state.items()})


def parameter_groups(model, c):
    """Our decay groups: with noBiasDecay, decay on conv and fc weights (ndim > 1) only, else on everything."""
    if not c['noBiasDecay']:
        return [{'params': list(model.parameters()), 'weight_decay': c['weightDecay']}]
    decay = [p for p in model.parameters() if p.ndim > 1]
    rest = [p for p in model.parameters() if p.ndim <= 1]
    return [{'params': decay, 'weight_decay': c['weightDecay']}, {'params': rest, 'weight_decay': 0.0}]


def make_optimizer(model, c):
    return torch.optim.SGD(parameter_groups(model, c), lr=0.0, momentum=c['momentum'], dampening=0.0,
                           nesterov=c['nesterov'])


# ----------------------------------------------------------------------------------------------- the loss

def smooth(q, eps, form, k):
    if eps == 0:
        return q
    if form == 'uniform':
        return q * (1 - eps) + eps / k
    return q * (1 - (eps * k) / (k - 1)) + eps / (k - 1)


def soft_cross_entropy(logits, q):
    return -(q * F.log_softmax(logits, dim=1)).sum(dim=1)


def training_loss(c, logits, q, teacher_logits):
    k = logits.shape[1]
    hard = soft_cross_entropy(logits, smooth(q, c['labelSmoothing'], c['smoothingForm'], k))
    if teacher_logits is None:
        return hard.mean()
    t = c['distillTemperature']
    soft = soft_cross_entropy(logits / t, F.softmax(teacher_logits / t, dim=1)) * t ** 2
    if c['distillForm'] == 'paper':
        return (hard + soft).mean()
    w = c['distillWeight']
    return (soft * (1 - w) + hard * w).mean()


def mixes_in(c, epoch):
    return (c['mixupAlpha'] > 0 or c['cutmixAlpha'] > 0) and epoch < c['epochs'] - c['mixupOffEpochs']


def mixup(x, q, alpha):
    lam = float(torch.distributions.Beta(alpha, alpha).sample()) if alpha > 0 else 1.0
    return lam * x + (1 - lam) * x.flip(0), lam * q + (1 - lam) * q.flip(0)


# ------------------------------------------------------------------------------------------------ the run

def now():
    return datetime.now(timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def read_metrics(path):
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    return out


def evaluate(model, data, num_classes, batch_size=256):
    model.eval()
    k = min(5, num_classes)
    top1 = top5 = 0
    loss = 0.0
    n = len(data.val_y)
    with torch.no_grad():
        for a in range(0, n, batch_size):
            x, y = data.batch(torch.arange(a, min(n, a + batch_size)), train=False)
            logits = model(x.to(torch.get_default_dtype()))
            hits = logits.topk(k, dim=1).indices.eq(y.unsqueeze(1))
            top1 += int(hits[:, 0].sum())
            top5 += int(hits.sum())
            loss += float(-F.log_softmax(logits, dim=1).gather(1, y.unsqueeze(1)).sum())
    return top1 / n, top5 / n, loss / n


def resolve_teacher(c, args):
    """The teacher's weights (a .safetensors) and architecture. A teacher trained by this reference trainer
    (its run folder has reference.json) stands in for the tfjs checkpoint our config names."""
    path = args.teacher_weights or c['teacher']
    if path.endswith('.safetensors'):
        return path, (c['teacherDepth'], c['teacherVariant'], c['teacherWidth'], c['stem'])
    run = os.path.dirname(os.path.dirname(path)) if path.endswith('.ckpt') else path
    marker = os.path.join(run, 'reference.json')
    if not os.path.exists(marker):
        raise ConfigError(f'teacher = {json.dumps(c["teacher"])}: a tfjs checkpoint, and {run} holds no run of '
                          f'the reference trainer; train the teacher here first (ablate.py does), or pass '
                          f'--teacher-weights <teacher.safetensors> (bot-train exports model.safetensors)')
    with open(os.path.join(run, 'config.json')) as f:
        tc = json.load(f)
    weights = os.path.join(run, 'model.safetensors')
    if not os.path.exists(weights):
        raise ConfigError(f'teacher = {json.dumps(c["teacher"])}: the reference run {run} has not finished')
    return weights, (tc['depth'], tc['variant'], tc['width'], tc['stem'])


def train(args):
    config_path = os.path.abspath(args.config)
    with open(config_path) as f:
        c = check_config(json.load(f), config_path)
    torch.set_num_threads(args.threads)
    run_dir = args.run_dir or os.path.join(c['runsDir'], c['runName'] or 'reference-run')
    data_dir = args.data_dir or os.path.join(c['runsDir'], '.reference-data', data_key(c))
    export_data(config_path, c, data_dir)
    os.makedirs(run_dir, exist_ok=True)
    metrics_path = os.path.join(run_dir, 'metrics.jsonl')
    ckpt_path = os.path.join(run_dir, 'reference.pt')
    history = read_metrics(metrics_path)
    if any(r.get('type') == 'epoch' and r.get('epoch') == c['epochs'] for r in history):
        print(f'{run_dir}: finished already')
        return 0
    with open(os.path.join(run_dir, 'config.json'), 'w') as f:
        json.dump(c, f, indent=2)
        f.write('\n')

    random.seed(c['seed'])
    torch.manual_seed(c['seed'])
    data = Data(c, data_dir)
    num_classes = len(data.classes)
    model = build_model(c['depth'], c['variant'], c['width'], c['stem'], num_classes, data.channels)
    init_model(model, c)
    initial = args.initial_weights or c['initialCheckpoint']
    if initial:
        load_weights(model, initial, 'initialCheckpoint')
    if not os.path.exists(ckpt_path):
        # The starting point, for diagnosis: our trainer starts from it with --initial-checkpoint <file>.
        save_safetensors(os.path.join(run_dir, 'initial.safetensors'), model.state_dict())
    teacher = None
    teacher_source = None
    if c['teacher']:
        teacher_source, (td, tv, tw, ts) = resolve_teacher(c, args)
        teacher = build_model(td, tv, tw, ts, num_classes, data.channels)
        load_weights(teacher, teacher_source, 'teacher')
        teacher.eval()
    optimizer = make_optimizer(model, c)
    n_train = len(data.train_y)
    spe = n_train // c['batchSize']
    if spe == 0:
        raise ConfigError(f'batchSize = {c["batchSize"]}: more than the {n_train} training images')
    schedule = build_schedule(c, spe)

    start_epoch, step = 0, 0
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path)
        model.load_state_dict(state['model'])
        optimizer.load_state_dict(state['optimizer'])
        torch.set_rng_state(state['torch_rng'])
        start_epoch, step = state['epoch'], state['step']
        history = [r for r in history if (r['epoch'] <= start_epoch if r['type'] == 'epoch' else r['step'] <= step)]
        print(f'resuming {run_dir} at epoch {start_epoch + 1} (step {step})')
    else:
        history = []
    with open(metrics_path, 'w') as f:
        f.writelines(json.dumps(r) + '\n' for r in history)
    with open(os.path.join(run_dir, 'reference.json'), 'w') as f:
        json.dump({'trainer': 'tools/reference/train.py (PyTorch)', 'torch': torch.__version__,
                   'threads': args.threads, 'data': data_dir, 'initialWeights': initial,
                   'teacher': teacher_source, 'stepsPerEpoch': spe,
                   'params': sum(p.numel() for p in model.parameters())}, f, indent=2)
    print(f'{run_dir}: {c["depth"]}-{c["variant"]} width {c["width"]}, {n_train} training images, '
          f'{spe} steps per epoch, augmentation {data.recipe}, teacher {teacher_source}', flush=True)

    for epoch in range(start_epoch, c['epochs']):
        model.train()
        g = torch.Generator().manual_seed(c['seed'] * 1_000_003 + epoch)
        order = torch.randperm(n_train, generator=g)
        mix = mixes_in(c, epoch)
        loss_sum, images, started = 0.0, 0, time.time()
        for b in range(spe):
            x, y = data.batch(order[b * c['batchSize']:(b + 1) * c['batchSize']], train=True)
            q = F.one_hot(y, num_classes).to(x.dtype)
            if mix:
                x, q = mixup(x, q, c['mixupAlpha'])
            lr = schedule(step)
            for group in optimizer.param_groups:
                group['lr'] = lr
            teacher_logits = None
            if teacher is not None:
                with torch.no_grad():
                    teacher_logits = teacher(x)
            loss = training_loss(c, model(x), q, teacher_logits)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if c['clipGrad'] is not None:
                nn.utils.clip_grad_norm_(model.parameters(), c['clipGrad'])
            optimizer.step()
            value = float(loss)
            if not math.isfinite(value):
                raise RuntimeError(f'the loss became {value} at step {step}')
            step += 1
            loss_sum += value
            images += len(y)
            if step % c['logEvery'] == 0:
                with open(metrics_path, 'a') as f:
                    f.write(json.dumps({'type': 'step', 'epoch': epoch, 'step': step, 'loss': value, 'lr': lr,
                                        'imagesPerSecond': images / (time.time() - started),
                                        'skippedSteps': 0, 'time': now()}) + '\n')
        seconds = time.time() - started
        top1, top5, val_loss = evaluate(model, data, num_classes)
        record = {'type': 'epoch', 'epoch': epoch + 1, 'step': step, 'trainLoss': loss_sum / spe, 'top1': top1,
                  'top5': top5, 'valLoss': val_loss, 'seconds': seconds, 'imagesPerSecond': images / seconds,
                  'lr': schedule(max(0, step - 1)), 'skippedSamples': 0, 'time': now()}
        torch.save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(),
                    'torch_rng': torch.get_rng_state(), 'epoch': epoch + 1, 'step': step}, ckpt_path + '.tmp')
        os.replace(ckpt_path + '.tmp', ckpt_path)
        with open(metrics_path, 'a') as f:
            f.write(json.dumps(record) + '\n')
        print(f'epoch {epoch + 1}/{c["epochs"]}: train loss {record["trainLoss"]:.4f}, val loss {val_loss:.4f}, '
              f'top-1 {100 * top1:.2f}%, top-5 {100 * top5:.2f}%, {record["imagesPerSecond"]:.1f} img/s, '
              f'{seconds:.1f} s', flush=True)
    save_safetensors(os.path.join(run_dir, 'model.safetensors'), model.state_dict())
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description='Train one bot-train run config with PyTorch (the reference).')
    p.add_argument('--config', required=True, help="a resolved run config (a run folder's config.json)")
    p.add_argument('--run-dir', help='the run folder to write (default <runsDir>/<runName> of the config)')
    p.add_argument('--data-dir', help='the exported data (default <runsDir>/.reference-data/<data key>)')
    p.add_argument('--initial-weights', help='start from this .safetensors (timm keys) instead of the init')
    p.add_argument('--teacher-weights', help='the teacher as a .safetensors (timm keys), for a tfjs teacher')
    p.add_argument('--threads', type=int, default=1, help='torch threads (default 1)')
    args = p.parse_args(argv)
    try:
        return train(args)
    except ConfigError as e:
        print(f'train.py: {e}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
