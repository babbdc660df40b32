"""Summarise an async-profiler CPU profile of `bench` (collapsed stacks, recorded with the `threads` option).

usage: profile_summary.py PROFILE.collapsed [OUT.csv]

Keeps the training thread's samples inside the timed training steps (BenchRunner.step), and sorts every sample by
 - component: which part of the step (conv forward kernel, conv backward kernel, the forward convolution computed
   again inside backprop, ReLU forward/backward, pooling, quantizers, dropout, the dense output layer and its loss,
   the updater, ...), from the Java frames of its stack;
 - kind: what the CPU was doing, from the innermost frame: a native kernel (libnd4j, oneDNN's JIT code, OpenBLAS),
   copies and layout reorders, memory allocation / workspaces / JavaCPP's memory accounting, or Java and JNI glue.
Prints two tables (component x kind, in % of the samples) and writes OUT.csv (component, phase, kind, samples, share).
CPU-time sampling (itimer) counts the thread's CPU time, so the shares hold under load; absolute ms do not.
"""
import collections
import csv
import sys

# (pattern in a Java frame, component); the innermost matching frame wins
JAVA_COMPONENTS = [
    ("ActivationReLU.backprop", "relu backward"),
    ("FastReLU.backprop", "relu backward"),
    ("ActivationReLU.getActivation", "relu forward"),
    ("ActivationSoftmax", "dense/output layer"),
    ("WeightQuantizer", "weight quantizers"),
    ("FakeQuantLayerImpl", "activation quantizers"),
    ("MaxPoolingHelper", "pooling"),
    ("MKLDNNSubsamplingHelper", "pooling"),
    ("SubsamplingLayer", "pooling"),
    ("MKLDNNConvHelper.backpropGradient", "conv backward kernel (conv2d_bp)"),
    ("MKLDNNConvHelper.preOutput", "conv forward kernel (conv2d)"),
    ("ConvolutionLayer", "conv layer, other"),
    ("BatchNormalization", "batch norm"),
    ("ElementWiseVertex", "residual adds"),
    ("Dropout", "dropout"),
    ("BaseOutputLayer", "dense/output layer"),
    ("LossMCXENT", "dense/output layer"),
    ("DenseLayer", "dense layer"),
    ("BaseLayer.preOutput", "dense layer"),
    ("calcRegularizationScore", "regularization score"),
    ("UpdaterBlock", "updater"),
    ("BaseMultiLayerUpdater", "updater"),
    ("ComputationGraphUpdater", "updater"),
    ("SAdamUpdater", "updater"),
    ("AdamUpdater", "updater"),
    ("LossProbeListener", "S-Adam probes"),
    ("ProbeStep", "S-Adam probes"),
]

PHASES = [
    ("ProbeStep", "probes"), ("LossProbeListener", "probes"),
    ("updateGradientAccordingToParams", "update"), ("BaseMultiLayerUpdater.update", "update"),
    ("calcBackpropGradients", "backward"),
    ("ffToLayerActivationsInWs", "forward"), ("ffToLayerActivationsDetached", "forward"),
    ("outputOfLayersDetached", "forward"), ("ffToLayerActivationsInWS", "forward"),
    ("computeScore", "loss"), ("calcRegularizationScore", "loss"),
]

COPIES = ("memmove", "memcpy", "memset", "reorder", "NDArray::assign", "Assign", "transpose", "concat")
ALLOC = ("malloc", "_int_free", "__libc_free", "cfree", "unlink_chunk", "munmap", "mmap", "brk", "calloc",
         "Pointer.", "physicalBytes", "__pread64", "__GI___libc_open", "__close", "Workspace", "allocateDataBuffer",
         "dbCreate", "DataBuffer.<init>", "FloatBuffer.<init>", "LongBuffer.<init>", "Deallocat", "page_fault",
         "clear_page", "get_page")


def is_java(frame):
    return "/" in frame and not frame.startswith("/")  # "/root/.javacpp/..." paths are native libraries


def component_of(frames):
    for f in reversed(frames):
        if not is_java(f):
            continue
        for pattern, name in JAVA_COMPONENTS:
            if pattern in f:
                if name == "conv layer, other" and any("preOutput4d" in g for g in frames) \
                        and any("ConvolutionLayer.backpropGradient" in g for g in frames) \
                        and any("MKLDNNConvHelper.preOutput" in g for g in frames):
                    return "conv forward recomputed in backprop"
                if name == "conv forward kernel (conv2d)" and any("ConvolutionLayer.backpropGradient" in g
                                                                  for g in frames):
                    return "conv forward recomputed in backprop"
                if name == "dense layer" and any("BaseOutputLayer" in g for g in frames):
                    return "dense/output layer"
                return name
    return "other (DL4J step bookkeeping)"


def phase_of(frames):
    joined = ";".join(frames)
    for pattern, name in PHASES:
        if pattern in joined:
            return name
    return "other"


def kind_of(frames):
    leaf = frames[-1]
    if any(p in leaf for p in COPIES):
        return "copies and reorders"
    if any(p in leaf for p in ALLOC):
        return "allocation, workspaces, memory accounting"
    if is_java(leaf) or leaf.startswith(("jni_", "JNI", "itable stub", "vtable stub", "Interpreter", "JavaCalls",
                                         "ThreadStateTransition", "SharedRuntime", "OptoRuntime")):
        return "Java and JNI"
    if leaf in ("[unknown]",) or "::" in leaf or leaf.startswith(("sgemm", "dgemm", "void ", "std::", "gemm",
                                                                  "dnnl", "mkldnn", "_ZN")):
        return "native kernels"
    if leaf.startswith(("GOMP", "gomp", "omp_", "__kmp", "sched_yield", "futex", "__lll", "pthread")):
        return "threading (OpenMP, locks)"
    return "native kernels"


def main():
    path = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else None
    counts = collections.Counter()
    total = 0
    for line in open(path):
        stack, n = line.rstrip("\n").rsplit(" ", 1)
        frames = stack.split(";")
        if not frames[0].startswith("[main") or not any("BenchRunner.step" in f for f in frames):
            continue
        n = int(n)
        total += n
        counts[(component_of(frames), phase_of(frames), kind_of(frames))] += n
    if total == 0:
        sys.exit("no samples of the training thread inside BenchRunner.step in " + path)
    kinds = ["native kernels", "copies and reorders", "allocation, workspaces, memory accounting", "Java and JNI",
             "threading (OpenMP, locks)"]
    by_comp = collections.defaultdict(collections.Counter)
    for (comp, phase, kind), n in counts.items():
        by_comp[comp][kind] += n
    print(f"{path}: {total} samples of the training thread in the timed steps\n")
    print("| component | " + " | ".join(kinds) + " | all |")
    print("| --- |" + " ---: |" * (len(kinds) + 1))
    for comp, c in sorted(by_comp.items(), key=lambda kv: -sum(kv[1].values())):
        cells = [f"{100 * c[k] / total:.1f}" for k in kinds]
        print(f"| {comp} | " + " | ".join(cells) + f" | {100 * sum(c.values()) / total:.1f} |")
    tot = collections.Counter()
    for c in by_comp.values():
        tot.update(c)
    print("| **all** | " + " | ".join(f"{100 * tot[k] / total:.1f}" for k in kinds) + " | 100 |")
    phases = collections.Counter()
    for (comp, phase, kind), n in counts.items():
        phases[phase] += n
    print("\nby phase: " + ", ".join(f"{p} {100 * n / total:.1f}%" for p, n in phases.most_common()))
    if out:
        with open(out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["component", "phase", "kind", "samples", "share"])
            for (comp, phase, kind), n in sorted(counts.items(), key=lambda kv: -kv[1]):
                w.writerow([comp, phase, kind, n, f"{n / total:.4f}"])


if __name__ == "__main__":
    main()
