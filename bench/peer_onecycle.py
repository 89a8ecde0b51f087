"""The hand-written alternative to a 2-million-step OneCycleLR plot (400 epochs x 5,000 steps).

Usage: python bench/peer_onecycle.py OUT.png
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

EPOCHS, STEPS = 400, 5000
param = torch.nn.Parameter(torch.zeros(1))
optimizer = torch.optim.SGD([param], lr=0.1, momentum=0.9)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, epochs=EPOCHS, steps_per_epoch=STEPS)
lrs = []
for _epoch in range(EPOCHS):
    for _step in range(STEPS):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
plt.plot([i / STEPS for i in range(len(lrs))], lrs)
plt.xlabel("epoch")
plt.ylabel("learning rate")
plt.savefig(sys.argv[1])
