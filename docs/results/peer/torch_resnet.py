"""Peer of `bench --network resnet` (usage: torch_resnet.py adamw,sadam BITS THREADS STEPS WARMUP): the CIFAR-sized
residual CNN of sadam-examples' ResidualNet in PyTorch, on fixed synthetic minibatches of 128 images (standard normal
[128, 3, 32, 32], uniform labels), timing each training step (median, p10, p90 ms) per optimizer, interleaved in 4
rounds as torch_steps.py does. BITS 32: float; 2..8: the paper's quantizer (torch_steps.py's Q at that width: per
tensor, symmetric, 1/s = c / (max|x| + 1e-5), c = 1.5 at 2 bits else 2^(b-1) - 1, identity straight-through gradient)
on every convolution's and the dense layer's weights and inputs; BatchNorm stays float. S-Adam: k = 3, sigma 0.01,
lambda 2 (torch_steps.py's). Run it in PyTorch's fast mode (MALLOC_MMAP_THRESHOLD_=4294967296
MALLOC_TRIM_THRESHOLD_=4294967296, see docs/benchmarks.md)."""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

opts = sys.argv[1].split(',')
bits, threads, steps, warm = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
lr, seed, batch = 0.005, 42, 128
torch.manual_seed(seed)
torch.set_num_threads(threads)
C = 1.5 if bits == 2 else float(2 ** (bits - 1) - 1)
QMIN, QMAX = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


class Q(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        s = C / (x.abs().max() + 1e-5)
        return (x * s).round().clamp(QMIN, QMAX) / s

    @staticmethod
    def backward(ctx, g):
        return g


def q(x):
    return x if bits >= 32 else Q.apply(x)


class QConv(nn.Conv2d):
    def forward(self, x):
        return F.conv2d(q(x), q(self.weight), None, self.stride, self.padding)


def conv(i, o, k, s):
    c = QConv(i, o, k, s, padding=(k - 1) // 2 if s == 1 else 0, bias=False)
    nn.init.kaiming_normal_(c.weight, nonlinearity='relu')
    return c


class SamePadConv(nn.Module):
    """DL4J's ConvolutionMode.Same: output = ceil(input / stride), the extra padding at the bottom/right."""

    def __init__(self, i, o, k, s):
        super().__init__()
        self.c, self.k, self.s = conv(i, o, k, s), k, s

    def forward(self, x):
        if self.s == 1:
            return self.c(x)
        h = x.shape[-1]
        out = math.ceil(h / self.s)
        pad = max((out - 1) * self.s + self.k - h, 0)
        return self.c(F.pad(x, (pad // 2, pad - pad // 2, pad // 2, pad - pad // 2)))


class Block(nn.Module):
    def __init__(self, i, o, s):
        super().__init__()
        self.a, self.bn_a = SamePadConv(i, o, 3, s), nn.BatchNorm2d(o)
        self.b, self.bn_b = SamePadConv(o, o, 3, 1), nn.BatchNorm2d(o)
        self.proj = None
        if s != 1 or i != o:
            self.proj, self.bn_p = SamePadConv(i, o, 1, s), nn.BatchNorm2d(o)

    def forward(self, x):
        y = F.relu(self.bn_a(self.a(x)))
        y = self.bn_b(self.b(y))
        return F.relu(y + (self.bn_p(self.proj(x)) if self.proj is not None else x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem, self.bn = SamePadConv(3, 32, 3, 1), nn.BatchNorm2d(32)
        self.b1, self.b2, self.b3 = Block(32, 32, 1), Block(32, 64, 2), Block(64, 128, 2)
        self.fc = nn.Linear(128, 10)
        nn.init.xavier_uniform_(self.fc.weight)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))
        x = self.b3(self.b2(self.b1(x)))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return F.linear(q(x), q(self.fc.weight), self.fc.bias)


class SAdam(torch.optim.Optimizer):
    """torch_steps.py's S-Adam (k probes of the loss along random directions, then Adam damped by alpha)."""

    def __init__(s, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, wd=1e-2, k=3, sigma=0.01, lam=2.0, eps_s=1e-6,
                 cap=10.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, wd=wd, k=k, sigma=sigma, lam=lam, eps_s=eps_s,
                                      cap=cap))

    @torch.no_grad()
    def step(s, closure):
        with torch.enable_grad():
            L0 = closure(True).item()
        for g in s.param_groups:
            ps = [p for p in g['params'] if p.grad is not None]
            rho = 0.0
            if g['lam'] > 0 and g['k'] >= 2:
                D = []
                for _ in range(g['k']):
                    saved = [p.detach().clone() for p in ps]
                    for p in ps:
                        z = torch.randn_like(p)
                        p.add_(g['sigma'] * z / (z.norm() + 1e-12))
                    D.append((closure(False).item() - L0) / g['sigma'])
                    for p, c in zip(ps, saved):
                        p.copy_(c)
                D = torch.tensor(D, dtype=torch.float64)
                rho = min((D.var(unbiased=True) / ((D ** 2).mean() + g['eps_s'])).item(), g['cap'])
            alpha = math.exp(-g['lam'] * rho)
            b1, b2 = g['betas']
            for p in ps:
                st = s.state[p]
                if not st:
                    st['t'] = 0
                    st['m'] = torch.zeros_like(p)
                    st['v'] = torch.zeros_like(p)
                st['t'] += 1
                t = st['t']
                p.mul_(1 - g['lr'] * g['wd'])
                st['m'].mul_(b1).add_(p.grad, alpha=1 - b1)
                st['v'].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                step = g['lr'] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                p.addcdiv_(st['m'], st['v'].sqrt().add_(g['eps']), value=-step * alpha)
        return L0


def make(name):
    torch.manual_seed(seed)
    net = Net()
    opt = SAdam(net.parameters(), lr=lr) if name == 'sadam' else torch.optim.AdamW(net.parameters(), lr=lr)
    return net, opt


def train_step(net, opt, name, xb, yb):
    if name == 'sadam':
        def closure(backward=True):
            loss = F.cross_entropy(net(xb), yb)
            if backward:
                opt.zero_grad()
                loss.backward()
            return loss
        return opt.step(closure)
    opt.zero_grad()
    loss = F.cross_entropy(net(xb), yb)
    loss.backward()
    opt.step()
    return loss.item()


g = torch.Generator().manual_seed(seed)
batches = [(torch.randn(batch, 3, 32, 32, generator=g), torch.randint(0, 10, (batch,), generator=g))
           for _ in range(4)]
runs = {o: make(o) for o in opts}
params = sum(p.numel() for p in runs[opts[0]][0].parameters())
for o in opts:
    net, opt = runs[o]
    net.train()
    for s in range(warm):
        train_step(net, opt, o, *batches[s % len(batches)])
times = {o: [] for o in opts}
rounds = 4
for r in range(rounds):
    for j in range(len(opts)):
        o = opts[(j + r) % len(opts)]
        net, opt = runs[o]
        for s in range(max(1, steps // rounds)):
            xb, yb = batches[s % len(batches)]
            t0 = time.perf_counter()
            train_step(net, opt, o, xb, yb)
            times[o].append((time.perf_counter() - t0) * 1e3)
for o in opts:
    t = np.array(times[o])
    print(json.dumps(dict(torch=torch.__version__, network='resnet', params=params, bits=bits, opt=o,
                          threads=threads, steps=len(t), mean=round(float(t.mean()), 3),
                          median=round(float(np.median(t)), 3), p10=round(float(np.percentile(t, 10)), 3),
                          p90=round(float(np.percentile(t, 90)), 3), load=os.getloadavg()[0])), flush=True)
