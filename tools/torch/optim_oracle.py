"""Fixtures for the optimiser pieces of MIMOConv training (test/train/optim.test.ts):
PyTorch's OneCycleLR learning rates and momenta, and an SGD trajectory with coupled weight
decay, a no-decay group, one-cycle momentum and clip_grad_norm_.

Run: /usr/bin/python3 tools/torch/optim_oracle.py  (Debian python3-torch, PyTorch 1.13)
Writes test/fixtures/optim.json.
"""
import json
import math
import os
import sys

import torch

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'optim.json')
torch.manual_seed(0)
fx = {}

# OneCycleLR over a 37-step run (an odd length exercises the fractional phase boundary).
for name, total, anneal in [('cos', 37, 'cos'), ('linear', 20, 'linear')]:
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.2, total_steps=total, pct_start=0.3, anneal_strategy=anneal,
                                                div_factor=25, final_div_factor=1e4, three_phase=False, cycle_momentum=True)
    lrs, moms = [], []
    for _ in range(total):
        lrs.append(opt.param_groups[0]['lr'])
        moms.append(opt.param_groups[0]['momentum'])
        opt.step()
        sched.step()
    fx['one_cycle_' + name] = {'total_steps': total, 'anneal': anneal, 'max_lr': 0.2, 'lr': lrs, 'momentum': moms}

# SGD: two groups (decay / no decay), one-cycle lr+momentum, gradients from a fixed
# quadratic loss, clipped to a small max norm so clipping is exercised.
w = torch.nn.Parameter(torch.randn(3, 4, dtype=torch.float64))
a = torch.nn.Parameter(torch.randn(4, dtype=torch.float64))
target = torch.randn(3, 4, dtype=torch.float64)
w0, a0 = w.detach().clone(), a.detach().clone()
opt = torch.optim.SGD([{'params': [a], 'weight_decay': 0.0}, {'params': [w], 'weight_decay': 1e-2}], lr=0.1, momentum=0.0)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=6, pct_start=0.3)
norms, ws, as_ = [], [], []
for step in range(6):
    opt.zero_grad()
    loss = ((w * a - target) ** 2).sum() + (a ** 3).sum()
    loss.backward()
    norms.append(float(torch.nn.utils.clip_grad_norm_([a, w], max_norm=5.0)))
    opt.step()
    sched.step()
    ws.append(w.detach().flatten().tolist())
    as_.append(a.detach().flatten().tolist())
fx['sgd'] = {'w0': w0.flatten().tolist(), 'a0': a0.flatten().tolist(), 'target': target.flatten().tolist(), 'max_lr': 0.5,
             'total_steps': 6, 'weight_decay': 1e-2, 'max_norm': 5.0, 'norms': norms, 'w': ws, 'a': as_}

with open(out, 'w') as f:
    json.dump(fx, f)
print('wrote', out)

# AdamW (eps 1e-6, weight decay 0.01 here to exercise it) under OneCycleLR with linear
# annealing and beta1 cycling, as MIMOFormer trains (SPEC §3.7).
torch.manual_seed(1)
w = torch.nn.Parameter(torch.randn(5, dtype=torch.float64))
w0 = w.detach().clone()
opt = torch.optim.AdamW([w], lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=8, pct_start=0.25, anneal_strategy='linear',
                                            div_factor=25, final_div_factor=1e4, cycle_momentum=True)
ws, b1s, lrs = [], [], []
for step in range(8):
    opt.zero_grad()
    loss = ((w - 1.0) ** 2 * torch.arange(1, 6, dtype=torch.float64)).sum()
    loss.backward()
    lrs.append(opt.param_groups[0]['lr'])
    b1s.append(opt.param_groups[0]['betas'][0])
    opt.step()
    sched.step()
    ws.append(w.detach().tolist())
fx['adamw'] = {'w0': w0.tolist(), 'max_lr': 0.05, 'total_steps': 8, 'pct_start': 0.25, 'weight_decay': 0.01, 'eps': 1e-6,
               'lr': lrs, 'beta1': b1s, 'w': ws}
with open(out, 'w') as f:
    json.dump(fx, f)
print('wrote adamw fixture')
