#!/usr/bin/env bash
# Throughput of the deploy path's models (docs/deploy.md, "Measured"): onnx-check on each model, ONNX Runtime against
# DL4J's QAT and float inference, one thread each. Run it on a QUIET machine (nothing else running: the figures are
# wall-clock times), from the repository's root, after
#   mvn -B -Djavacpp.platform=linux-x86_64 -DskipTests package
#
# usage: docs/results/deploy-2026-12-06/measure.sh [--dry-run] [MODELS_DIR] [OUT_DIR]
#   MODELS_DIR  where the trained models are, or go (default results/deploy-2026-12-06). Missing ones are trained first
#               with the commands of the accuracy table (one epoch of qat per bit width, keras-retrain of adam.h5:
#               several minutes each; their accuracies and sizes are in this folder already, the throughput does not
#               depend on the trained weights' values)
#   OUT_DIR     where onnx-check's output goes (default docs/results/deploy-2026-12-06/throughput): per model and
#               repeat the printed report (.txt) and its JSON (.json), environment.txt, and summary.md (the table)
#   --dry-run   print the commands, run nothing
# environment: REPEATS (3): onnx-check runs per model; KERAS_MODEL (/work/shared/fixtures/keras/adam.h5);
#              JAVA (java); DATA_OPTS (empty: the lookup finds the full Fashion-MNIST, e.g. the Debian package)
set -euo pipefail

DRY=0
if [[ "${1:-}" == "--dry-run" ]]; then
  DRY=1
  shift
fi
MODELS=${1:-results/deploy-2026-12-06}
OUT=${2:-docs/results/deploy-2026-12-06/throughput}
REPEATS=${REPEATS:-3}
KERAS_MODEL=${KERAS_MODEL:-/work/shared/fixtures/keras/adam.h5}
JAVA=${JAVA:-java}
JAR=sadam-examples/target/sadam-examples.jar
read -r -a DATA <<< "${DATA_OPTS:-}"

run() {
  echo "+ $*"
  if [[ $DRY -eq 0 ]]; then
    "$@"
  fi
}

# runs a command with its stdout (the report) into a file, and says so
run_to() {
  local out=$1
  shift
  echo "+ $* > $out"
  if [[ $DRY -eq 0 ]]; then
    "$@" > "$out"
  fi
}

if [[ $DRY -eq 0 && ! -f $JAR ]]; then
  echo "no $JAR: build it first (mvn -B -Djavacpp.platform=linux-x86_64 -DskipTests package)" >&2
  exit 1
fi
run mkdir -p "$OUT" "$MODELS"

# the models: the commands of the accuracy table (docs/deploy.md, "Measured")
for B in 2 4 8; do
  if [[ ! -f $MODELS/qat-${B}bit/results.json ]]; then
    run "$JAVA" -jar "$JAR" qat --optimizers sadam --bits "$B" --onnx --progress lines "${DATA[@]}" \
      -o "$MODELS/qat-${B}bit"
  fi
done
if [[ ! -f $MODELS/keras-adam-4bit/onnx.json ]]; then
  run "$JAVA" -jar "$JAR" keras-retrain --model "$KERAS_MODEL" --data fashion-mnist --bits 4 --onnx \
    --progress lines -o "$MODELS/keras-adam-4bit"
fi

# where it ran, and how quiet the machine was (before; the load is sampled again after every check)
if [[ $DRY -eq 0 ]]; then
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
    echo "cores: $(nproc)"
    lscpu 2>/dev/null | grep -E '^(Model name|Thread|Core|Socket|CPU max MHz)' || true
    "$JAVA" -version 2>&1 | head -1
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  } > "$OUT/environment.txt"
fi

# the checks: qat networks in batches of their eval_batch (1000: 10 batches per pass), the Keras network (tiny: more
# batches, so that its timed part lasts seconds)
for r in $(seq 1 "$REPEATS"); do
  for B in 2 4 8; do
    run_to "$OUT/qat-${B}bit-r$r.txt" "$JAVA" -jar "$JAR" onnx-check "$MODELS/qat-${B}bit" "${DATA[@]}" \
      --warmup-batches 5 --timed-batches 100 --json "$OUT/qat-${B}bit-r$r.json"
    [[ $DRY -eq 1 ]] || echo "load after qat-${B}bit r$r: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/environment.txt"
  done
  run_to "$OUT/keras-adam-4bit-r$r.txt" "$JAVA" -jar "$JAR" onnx-check "$MODELS/keras-adam-4bit" "${DATA[@]}" \
    --warmup-batches 20 --timed-batches 1000 --json "$OUT/keras-adam-4bit-r$r.json"
  [[ $DRY -eq 1 ]] || echo "load after keras-adam-4bit r$r: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/environment.txt"
done

# the table: images/s per model and variant, median over the repeats (and the spread)
if [[ $DRY -eq 0 ]]; then
  python3 - "$OUT" > "$OUT/summary.md" <<'PY'
import glob, json, os, statistics, sys
out = sys.argv[1]
rows = {}
for f in sorted(glob.glob(os.path.join(out, "*-r*.json"))):
    model = os.path.basename(f).rsplit("-r", 1)[0]
    for c in json.load(open(f))["checks"]:
        for variant, ips in (c.get("throughput") or {}).get("images_per_second", {}).items():
            rows.setdefault(model, {}).setdefault(variant, []).append(ips)
print("| model | variant | images/s (median) | min | max | repeats |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
for model, variants in rows.items():
    for variant, v in variants.items():
        print(f"| {model} | {variant} | {statistics.median(v):,.0f} | {min(v):,.0f} | {max(v):,.0f} | {len(v)} |")
PY
  cat "$OUT/summary.md"
fi
