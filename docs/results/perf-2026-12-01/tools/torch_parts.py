"""(sadam4j measurement helper, derived from /work/shared/peer/torch_steps.py) usage: torch_parts.py DATA_DIR THREADS STEPS WARMUP: the same network, quantizer
and optimizers as torch_fmnist.py, timing each training step (batch 64) in PyTorch (CPU, Debian python3-torch).
Prints ms per step (median, p10, p90) per optimizer."""
import gzip, math, sys, time, json
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

def idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], 'big'); nd = magic & 0xff
    dims = [int.from_bytes(data[4+4*i:8+4*i], 'big') for i in range(nd)]
    return np.frombuffer(data, dtype=np.uint8, offset=4+4*nd).reshape(dims)

import os
D = sys.argv[1]; threads = int(sys.argv[2]); steps = int(sys.argv[3]); warm = int(sys.argv[4])
lr = 0.005; seed = 42
torch.manual_seed(seed); np.random.seed(seed); torch.set_num_threads(threads)
xtr = torch.tensor(idx(f'{D}/train-images-idx3-ubyte.gz'), dtype=torch.float32).unsqueeze(1) / 255.
ytr = torch.tensor(idx(f'{D}/train-labels-idx1-ubyte.gz'), dtype=torch.long)
xtr = (xtr - 0.5) / 0.5
class Q(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        s = 1.5 / (x.abs().max() + 1e-5)
        return (x * s).round().clamp(-2, 1) / s
    @staticmethod
    def backward(ctx, g):
        return g

class QConv(nn.Module):
    def __init__(s, i, o):
        super().__init__(); s.conv = nn.Conv2d(i, o, 3, 1)
    def forward(s, x):
        return F.conv2d(Q.apply(x), Q.apply(s.conv.weight), s.conv.bias)

class Net(nn.Module):
    def __init__(s):
        super().__init__(); s.c1 = QConv(1, 16); s.c2 = QConv(16, 32); s.fc = nn.Linear(800, 10); s.do = nn.Dropout(0.25)
    def forward(s, x):
        x = F.max_pool2d(F.relu(s.c1(x)), 2); x = F.max_pool2d(F.relu(s.c2(x)), 2)
        x = s.do(torch.flatten(x, 1)); return F.linear(x, Q.apply(s.fc.weight), s.fc.bias)

class SAdam(torch.optim.Optimizer):
    def __init__(s, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, wd=1e-2, k=2, sigma=0.01, lam=2.0, eps_s=1e-6, cap=10.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, wd=wd, k=k, sigma=sigma, lam=lam, eps_s=eps_s, cap=cap))
        s.rhos = []
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
                        z = torch.randn_like(p); p.add_(g['sigma'] * z / (z.norm() + 1e-12))
                    D.append((closure(False).item() - L0) / g['sigma'])
                    for p, c in zip(ps, saved): p.copy_(c)
                D = torch.tensor(D, dtype=torch.float64)
                rho = min((D.var(unbiased=True) / ((D ** 2).mean() + g['eps_s'])).item(), g['cap'])
            alpha = math.exp(-g['lam'] * rho); s.rhos.append(rho)
            b1, b2 = g['betas']
            for p in ps:
                st = s.state[p]
                if not st:
                    st['t'] = 0; st['m'] = torch.zeros_like(p); st['v'] = torch.zeros_like(p)
                st['t'] += 1; t = st['t']
                p.mul_(1 - g['lr'] * g['wd'])
                st['m'].mul_(b1).add_(p.grad, alpha=1 - b1); st['v'].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                step = g['lr'] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                p.addcdiv_(st['m'], st['v'].sqrt().add_(g['eps']), value=-step * alpha)
        return L0



# Where a PyTorch AdamW step goes, as sadam4j's bench splits a DL4J step: forward + loss in training mode (one
# S-Adam probe without perturb/restore), the whole step, and backward + update as the difference; plus one S-Adam
# probe as torch_steps.py does it (clone, perturb with normalised randn, forward under no_grad, restore).
torch.manual_seed(seed); net = Net(); opt = torch.optim.AdamW(net.parameters(), lr=lr); net.train()
n = xtr.shape[0]; perm = torch.randperm(n)
batches = [(xtr[perm[i:i+64]], ytr[perm[i:i+64]]) for i in range(0, 64*50, 64)]
def full(xb, yb):
    opt.zero_grad(); l = F.cross_entropy(net(xb), yb); l.backward(); opt.step()
def fwd(xb, yb):
    with torch.no_grad():
        F.cross_entropy(net(xb), yb).item()
def fwd_grad(xb, yb):
    F.cross_entropy(net(xb), yb).item()
def probe(xb, yb):
    with torch.no_grad():
        ps = [p for p in net.parameters()]
        saved = [p.detach().clone() for p in ps]
        for p in ps:
            z = torch.randn_like(p); p.add_(0.01 * z / (z.norm() + 1e-12))
        F.cross_entropy(net(xb), yb).item()
        for p, c in zip(ps, saved): p.copy_(c)
parts = dict(step=full, forward_nograd=fwd, forward_autograd=fwd_grad, sadam_probe=probe)
for s in range(warm): full(*batches[s % 50])
times = {k: [] for k in parts}
for r in range(5):
    for k, f in parts.items():
        for s in range(steps // 5):
            xb, yb = batches[s % 50]; t0 = time.perf_counter(); f(xb, yb); times[k].append((time.perf_counter() - t0) * 1e3)
for k, t in times.items():
    t = np.array(t)
    print(json.dumps(dict(torch=torch.__version__, part=k, threads=threads, n=len(t), mean=round(float(t.mean()), 3), median=round(float(np.median(t)), 3), p10=round(float(np.percentile(t, 10)), 3), p90=round(float(np.percentile(t, 90)), 3), load=os.getloadavg()[0])), flush=True)
