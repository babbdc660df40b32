#!/usr/bin/env python3
"""The table of docs/results.md, "Reproducibility", from the folders run.sh wrote (or the kept copies here).

For every variant: the ISA oneDNN reported (dnnl-isa.txt, the DNNL_VERBOSE line run.sh kept), the first row of the
per-iteration CSV whose loss differs from base1's, the test accuracy and the final training loss (results.json).
Usage: python3 summarise.py [FOLDER]   (default: the folder of this script)
"""
import csv
import json
import os
import sys

HERE = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
VARIANTS = [
    ("base1", "base, run 1"),
    ("base2", "base, run 2"),
    ("isa-avx", "DNNL_MAX_CPU_ISA=AVX"),
    ("isa-sse41", "DNNL_MAX_CPU_ISA=SSE41"),
    ("blas-haswell", "OPENBLAS_CORETYPE=Haswell"),
    ("blas-zen", "OPENBLAS_CORETYPE=Zen"),
    ("blas-sandy", "OPENBLAS_CORETYPE=Sandybridge"),
    ("helpers-off", "--dl4j-helpers off"),
    ("threads2", "--threads 2"),
]


def losses(folder):
    with open(os.path.join(HERE, folder, "adamw-seed42.csv")) as f:
        return [row["loss"] for row in csv.DictReader(f)]


def main():
    base = losses("base1")
    print("| variant | oneDNN isa (DNNL_VERBOSE) | first loss row that differs from base1 | test acc % | final train loss |")
    print("| --- | --- | --- | ---: | ---: |")
    for folder, label in VARIANTS:
        if not os.path.isdir(os.path.join(HERE, folder)):
            continue
        with open(os.path.join(HERE, folder, "dnnl-isa.txt")) as f:
            isa = f.read().strip().split("isa:")[-1]
        mine = losses(folder)
        first = next((i for i, (a, b) in enumerate(zip(base, mine)) if a != b), None)
        differs = "none (identical, %d rows)" % len(mine) if first is None and len(mine) == len(base) \
            else "iteration %d" % first
        run = json.load(open(os.path.join(HERE, folder, "results.json")))["runs"][0]
        print("| %s | %s | %s | %.2f | %.5f |" % (label, isa, differs, run["test_acc_pct"],
                                                   run["final_train_loss"]))


if __name__ == "__main__":
    main()
