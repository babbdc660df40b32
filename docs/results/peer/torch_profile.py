"""PyTorch's profiler on one AdamW step of the peer network (usage: torch_profile.py DATA_DIR THREADS STEPS WARMUP
[OUT.csv]): the network, quantizer and data of torch_steps.py, one thread by default. Prints where a step's time goes
per layer, forward and backward (the self CPU time of PyTorch's operators, attributed to the layer whose forward
`record_function` range or whose autograd node ran them), and the rest of the step (Python, the dispatcher, the
autograd engine: the step's wall time minus the operators' self time). OUT.csv gets one row per (layer, part, op).
Run it in PyTorch's fast mode (MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296, see
docs/benchmarks.md)."""
import collections
import csv
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile, record_function


def idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    nd = int.from_bytes(data[0:4], 'big') & 0xff
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


class Q(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        s = 1.5 / (x.abs().max() + 1e-5)
        return (x * s).round().clamp(-2, 1) / s

    @staticmethod
    def backward(ctx, g):
        return g


class Net(nn.Module):
    """torch_steps.py's network, with a profiler range around every layer's forward pass."""

    def __init__(s):
        super().__init__()
        s.c1 = nn.Conv2d(1, 16, 3, 1)
        s.c2 = nn.Conv2d(16, 32, 3, 1)
        s.fc = nn.Linear(800, 10)
        s.do = nn.Dropout(0.25)

    def forward(s, x):
        with record_function("L:fq_in.forward"):
            x = Q.apply(x)
        with record_function("L:conv1.forward"):
            x = F.conv2d(x, Q.apply(s.c1.weight), s.c1.bias)
        with record_function("L:relu1.forward"):
            x = F.relu(x)
        with record_function("L:pool1.forward"):
            x = F.max_pool2d(x, 2)
        with record_function("L:fq_conv2_in.forward"):
            x = Q.apply(x)
        with record_function("L:conv2.forward"):
            x = F.conv2d(x, Q.apply(s.c2.weight), s.c2.bias)
        with record_function("L:relu2.forward"):
            x = F.relu(x)
        with record_function("L:pool2.forward"):
            x = F.max_pool2d(x, 2)
        with record_function("L:dropout.forward"):
            x = s.do(torch.flatten(x, 1))
        with record_function("L:dense.forward"):
            return F.linear(x, Q.apply(s.fc.weight), s.fc.bias)


def backward_owner(node, shapes):
    """The layer of an autograd node, from its name and the shapes its operators saw."""
    flat = [tuple(s) for s in shapes if s]
    has = lambda *dims: any(len(s) == 4 and s[1:] == dims for s in flat)
    if node.startswith("ConvolutionBackward"):
        return "conv1" if has(16, 26, 26) else "conv2"
    if node.startswith("MaxPool2DWithIndicesBackward"):
        return "pool1" if has(16, 26, 26) else "pool2"
    if node.startswith(("ReluBackward", "ThresholdBackward")):
        return "relu1" if has(16, 26, 26) else "relu2"
    if node.startswith("QBackward"):
        return "quantizers (STE)"
    if node.startswith(("AddmmBackward", "MmBackward", "TBackward", "LinearBackward")):
        return "dense"
    if node.startswith(("NativeDropoutBackward", "MulBackward", "DivBackward")):
        return "dropout"
    if node.startswith(("NllLossBackward", "LogSoftmaxBackward")):
        return "loss"
    if node.startswith(("ViewBackward", "ReshapeAliasBackward", "UnsafeViewBackward", "AsStridedBackward")):
        return "dense"
    if "AccumulateGrad" in node:
        return "gradient accumulation"
    return "other backward (" + node + ")"


def main():
    data, threads, steps, warm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    out = sys.argv[5] if len(sys.argv) > 5 else None
    torch.manual_seed(42)
    torch.set_num_threads(threads)
    xtr = torch.tensor(idx(f'{data}/train-images-idx3-ubyte.gz'), dtype=torch.float32).unsqueeze(1) / 255.
    ytr = torch.tensor(idx(f'{data}/train-labels-idx1-ubyte.gz'), dtype=torch.long)
    xtr = (xtr - 0.5) / 0.5
    perm = torch.randperm(xtr.shape[0])
    batches = [(xtr[perm[i:i + 64]], ytr[perm[i:i + 64]]) for i in range(0, 64 * 50, 64)]
    net = Net()
    opt = torch.optim.AdamW(net.parameters(), lr=0.005)
    net.train()

    def step(xb, yb):
        with record_function("L:zero_grad.step"):
            opt.zero_grad()
        with record_function("L:loss.forward"):
            loss = F.cross_entropy(net(xb), yb)
        loss.backward()
        with record_function("L:optimizer.step"):
            opt.step()
        return loss

    for s in range(warm):
        step(*batches[s % 50])
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        t0 = time.perf_counter()
        for s in range(steps):
            step(*batches[s % 50])
        wall = (time.perf_counter() - t0) * 1e3 / steps

    events = prof.events()
    rows = collections.defaultdict(lambda: [0.0, 0])   # (layer, part, op) -> [self us, calls]
    op_self = 0.0
    for e in events:
        if e.name.startswith("L:") or e.name.startswith("autograd::engine::evaluate_function"):
            continue
        layer, part = None, None
        p = e.cpu_parent
        while p is not None:
            if p.name.startswith("L:"):
                layer, part = p.name[2:].rsplit(".", 1)
                break
            if p.name.startswith("autograd::engine::evaluate_function: "):
                node = p.name.split(": ", 1)[1]
                shapes = [s for c in [p] + list(p.cpu_children) for s in (c.input_shapes or [])]
                layer, part = backward_owner(node, shapes), "backward"
                break
            p = p.cpu_parent
        if layer is None:
            layer, part = "outside any layer", ""
        if layer == "loss" and part == "forward":
            pass
        r = rows[(layer, part, e.name)]
        r[0] += e.self_cpu_time_total
        r[1] += 1
        op_self += e.self_cpu_time_total
    per_layer = collections.defaultdict(float)
    for (layer, part, op), (us, n) in rows.items():
        per_layer[(layer, part)] += us
    print(f"# torch {torch.__version__}, {threads} thread(s), {steps} AdamW steps after {warm} warm-up, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"wall ms per step (profiler on): {wall:.3f}; operators' self CPU ms per step: {op_self / 1e3 / steps:.3f}; "
          f"rest (Python, dispatcher, autograd engine, profiler): {wall - op_self / 1e3 / steps:.3f}\n")
    print("| layer | part | self CPU ms per step | share of the step |")
    print("| --- | --- | ---: | ---: |")
    for (layer, part), us in sorted(per_layer.items(), key=lambda kv: -kv[1]):
        print(f"| {layer} | {part} | {us / 1e3 / steps:.3f} | {us / 1e3 / steps / wall:.3f} |")
    print(f"| rest of the step (Python, dispatcher, autograd engine, profiler) | | "
          f"{wall - op_self / 1e3 / steps:.3f} | {1 - op_self / 1e3 / steps / wall:.3f} |")
    if out:
        with open(out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["layer", "part", "op", "calls_per_step", "self_cpu_ms_per_step"])
            for (layer, part, op), (us, n) in sorted(rows.items(), key=lambda kv: -kv[1][0]):
                w.writerow([layer, part, op, round(n / steps, 3), round(us / 1e3 / steps, 4)])
            w.writerow(["rest of the step", "", "", "", round(wall - op_self / 1e3 / steps, 4)])
            w.writerow(["whole step (wall, profiler on)", "", "", "", round(wall, 4)])


if __name__ == "__main__":
    main()
