"""The paper's train pipeline in torchvision + PIL, fed by a DataLoader with 2 worker processes.

usage: python3 torchvision_bench.py <dir of .jpg> <passes>   prints one JSON line: per-pass images/s.
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

def main():
    root, passes = sys.argv[1], int(sys.argv[2])
    tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ColorJitter(0.4, 0.4, 0.4), T.ToTensor(),
                    Lighting(0.1), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    ds = Files(root, tf)
    loader = torch.utils.data.DataLoader(ds, batch_size=16, shuffle=True, num_workers=2, persistent_workers=True,
                                         worker_init_fn=init, prefetch_factor=4)
    for _ in loader:  # warm-up pass: starts the workers
        pass
    rates = []
    for _ in range(passes):
        t = time.perf_counter()
        n = 0
        for x, _ in loader:
            n += x.shape[0]
        rates.append(n / (time.perf_counter() - t))
    print(json.dumps({'imagesPerSecond': rates, 'torch': torch.__version__}))

if __name__ == '__main__':
    main()
