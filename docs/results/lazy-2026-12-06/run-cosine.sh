#!/bin/bash
# The same at the tuned cosine setting (docs/results.md, "Tuned baselines": S-Adam lr 0.005 with a cosine schedule):
# probe intervals N = 1, 20, 10; 2 bits, 3 epochs, seeds 42-44. Run from the repository's root after the package
# build; result folders in $OUT (default results/lazy-2026-12-06-cosine); `summarise.py $OUT` prints the table.
set -eu
J=sadam-examples/target/sadam-examples.jar
OUT=${OUT:-results/lazy-2026-12-06-cosine}   # kept here as cosine/N<n>
for N in 1 20 10; do
  java -jar $J qat --optimizers sadam --probe-interval $N --schedule cosine --seeds 3 --epochs 3 --bits 2 --lr 0.005 \
     --threads 1 --parallel-runs 2 --progress lines -o "$OUT/N$N"
done
