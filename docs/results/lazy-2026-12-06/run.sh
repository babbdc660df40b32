#!/bin/bash
# Lazy probing, what it costs in accuracy (issue 17): S-Adam k = 3 with probe intervals N = 1, 20, 10, 5, 2 on the
# qat network, 2 bits, lr 0.005 constant, 3 epochs, seeds 42-44, two runs side by side (one ND4J thread each).
# Run from the repository's root after `mvn -B -Djavacpp.platform=linux-x86_64 -DskipTests package`; the result
# folders go to $OUT (default results/lazy-2026-12-06), one per N. `summarise.py $OUT` prints the table.
set -eu
J=sadam-examples/target/sadam-examples.jar
OUT=${OUT:-results/lazy-2026-12-06}
for N in 1 20 10 5 2; do
  java -jar $J qat --optimizers sadam --probe-interval $N --seeds 3 --epochs 3 --bits 2 --lr 0.005 \
     --threads 1 --parallel-runs 2 --progress lines -o "$OUT/N$N"
done
