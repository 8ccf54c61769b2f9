"""Golden values for @bot/losses from PyTorch's F.cross_entropy (float64).

Run once with Debian's python3-torch:  /usr/bin/python3 tools/losses/make_fixtures.py
Writes packages/losses/test/fixtures/cross-entropy.json.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(5)
cases = []


def add(name, logits, labels=None, soft=None, eps=0.0):
    logits = logits.double()
    if labels is not None:
        target = labels
    else:
        target = soft.double()
    loss = F.cross_entropy(logits, target, label_smoothing=eps, reduction="none")
    cases.append(
        {
            "name": name,
            "logits": logits.tolist(),
            "labels": labels.tolist() if labels is not None else None,
            "soft": soft.double().tolist() if soft is not None else None,
            "labelSmoothing": eps,
            "perSample": loss.tolist(),
            "mean": loss.mean().item(),
        }
    )


N, K = 6, 7
logits = torch.randn(N, K, dtype=torch.float64) * 3
labels = torch.randint(0, K, (N,))
add("hard labels", logits, labels=labels)
add("hard labels, smoothing 0.1", logits, labels=labels, eps=0.1)
add("hard labels, smoothing 0.3", logits, labels=labels, eps=0.3)

# mixup-style soft targets: lambda * onehot(y) + (1 - lambda) * onehot(y reversed)
lam = 0.7
onehot = F.one_hot(labels, K).double()
soft = lam * onehot + (1 - lam) * onehot.flip(0)
add("mixup soft targets", logits, soft=soft)
add("mixup soft targets, smoothing 0.1", logits, soft=soft, eps=0.1)

# arbitrary dense soft targets
dense = torch.softmax(torch.randn(N, K, dtype=torch.float64), dim=1)
add("dense soft targets, smoothing 0.2", logits, soft=dense, eps=0.2)

# very large logits: log-softmax must stay finite
big = torch.tensor([[1e4, 0.0, -1e4], [-1e4, 1e4, 5e3], [3e3, 3e3, -2e3]], dtype=torch.float64)
big_labels = torch.tensor([0, 2, 1])
add("logits of 1e4", big, labels=big_labels)
add("logits of 1e4, smoothing 0.1", big, labels=big_labels, eps=0.1)

# knowledge distillation, written out from the two definitions with F.cross_entropy on soft targets
kd = []
student = torch.randn(N, K, dtype=torch.float64) * 2
teacher = torch.randn(N, K, dtype=torch.float64) * 4
for T in (1.0, 4.0, 20.0):
    for eps in (0.0, 0.1):
        soft_teacher = torch.softmax(teacher / T, dim=1)
        hard = F.cross_entropy(student, labels, label_smoothing=eps)
        soft = F.cross_entropy(student / T, soft_teacher)
        kd.append(
            {
                "temperature": T,
                "labelSmoothing": eps,
                # paper: l(p, softmax(z)) + T^2 l(softmax(r/T), softmax(z/T))
                "paper": (hard + T * T * soft).item(),
                # GluonCV: (1 - w) T^2 CE(z/T, softmax(r/T)) + w CE(z, p), w = 0.5 and 0.25
                "gluoncv": {"0.5": (0.5 * T * T * soft + 0.5 * hard).item(), "0.25": (0.75 * T * T * soft + 0.25 * hard).item()},
            }
        )

out = os.path.join(os.path.dirname(__file__), "../../packages/losses/test/fixtures/cross-entropy.json")
with open(out, "w") as f:
    json.dump({"generator": "tools/losses/make_fixtures.py", "torch": torch.__version__, "cases": cases, "distillation": {"student": student.tolist(), "teacher": teacher.tolist(), "labels": labels.tolist(), "cases": kd}}, f, indent=1)
print("wrote", len(cases), "cases to", os.path.normpath(out))
