"""The paper's train pipeline in torchvision + PIL, fed by a DataLoader with 2 worker processes.

usage: python3 torchvision_bench.py <dir of .jpg>
Starts the workers, runs a warm-up pass, prints "ready", then runs one pass per "pass" line on stdin and
prints one JSON line per pass: images/s and CPU seconds (main process plus workers) per image.
"""
import json, os, sys, time
import torch
import torchvision.transforms as T
from PIL import Image

class Lighting:
    """AlexNet PCA lighting noise as in fb.resnet.torch / the PyTorch ImageNet examples."""
    def __init__(self, alphastd):
        self.alphastd = alphastd
        self.eigval = torch.tensor([0.2175, 0.0188, 0.0045])
        self.eigvec = torch.tensor([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]])
    def __call__(self, img):
        alpha = img.new_empty(3).normal_(0, self.alphastd)
        rgb = self.eigvec.clone().mul(alpha.view(1, 3).expand(3, 3)).mul(self.eigval.view(1, 3).expand(3, 3)).sum(1)
        return img.add(rgb.view(3, 1, 1).expand_as(img))

class Files(torch.utils.data.Dataset):
    def __init__(self, root, transform):
        self.paths = sorted(os.path.join(root, f) for f in os.listdir(root) if f.endswith('.jpg'))
        self.transform = transform
    def __len__(self):
        return len(self.paths)
    def __getitem__(self, i):
        with open(self.paths[i], 'rb') as f:
            img = Image.open(f).convert('RGB')
        return self.transform(img), 0

def init(_):
    torch.set_num_threads(1)

def cpu_seconds(pids):
    tick = os.sysconf('SC_CLK_TCK')
    total = 0.0
    for pid in pids:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total

def main():
    torch.set_num_threads(1)
    root = sys.argv[1]
    tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ColorJitter(0.4, 0.4, 0.4), T.ToTensor(),
                    Lighting(0.1), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    ds = Files(root, tf)
    loader = torch.utils.data.DataLoader(ds, batch_size=16, shuffle=True, num_workers=2, persistent_workers=True,
                                         worker_init_fn=init, prefetch_factor=4)
    it = iter(loader)
    for _ in it:  # warm-up pass: starts the workers
        pass
    pids = [os.getpid()] + [w.pid for w in loader._iterator._workers]
    print('ready', flush=True)
    for line in sys.stdin:
        if line.strip() != 'pass':
            break
        c0 = cpu_seconds(pids)
        t = time.perf_counter()
        n = 0
        for x, _ in loader:
            n += x.shape[0]
        wall = time.perf_counter() - t
        print(json.dumps({'imagesPerSecond': n / wall, 'cpuMsPerImage': 1000 * (cpu_seconds(pids) - c0) / n}),
              flush=True)

if __name__ == '__main__':
    main()
