"""The hand-written alternative to `lrviz cosine --t-max 5 --epochs 50 -o x.png`.

What a user writes today: import torch, build Adam, step CosineAnnealingLR 50
times, plot with pyplot, save. Usage: python bench/peer_cosine.py OUT.png
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

param = torch.nn.Parameter(torch.zeros(1))
optimizer = torch.optim.Adam([param], lr=0.1)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=5)
lrs = []
for _epoch in range(50):
    lrs.append(optimizer.param_groups[0]["lr"])
    optimizer.step()
    scheduler.step()
plt.plot(lrs)
plt.xlabel("epoch")
plt.ylabel("learning rate")
plt.savefig(sys.argv[1])
