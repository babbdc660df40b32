#!/bin/bash
# Diagnostics run by hand after session-extra.sh (not in the brief): is PyTorch's bimodal 1-thread step time (about
# 8 ms or 28 ms for AdamW with nothing else running) page-fault churn? 4 plain runs under /usr/bin/time -v (page faults,
# system time), then 3 with glibc malloc told never to unmap or trim (MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ 4 GiB).
R=docs/results/perf-2026-12-02; T="/usr/bin/python3 /work/shared/peer/torch_steps.py /usr/share/datasets/fashion-mnist adamw,sadam 1 200 20"
idle() { while (( $(echo "$(cut -d' ' -f1 /proc/loadavg) > 1.0" | bc) )); do sleep 5; done; }
for i in 1 2 3 4; do idle; $R/tools/record.sh $R/A-extra/diag-torch-t1-run$i.txt /usr/bin/time -v $T; done
for i in 1 2 3; do idle; $R/tools/record.sh $R/A-extra/diag-torch-t1-malloc-run$i.txt env MALLOC_MMAP_THRESHOLD_=4294967296 \
  MALLOC_TRIM_THRESHOLD_=4294967296 /usr/bin/time -v $T; done
