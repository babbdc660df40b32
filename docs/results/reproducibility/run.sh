#!/usr/bin/env bash
# Which native setting changes the numbers of the qat network? docs/results.md, "Reproducibility".
#
# AdamW only, 100 steps (6,400 training images, 2,000 test images), seed 42, the same build; one setting varied at a
# time against two identical base runs. Each variant's result folder goes to $OUT/<variant>, its console (with
# oneDNN's DNNL_VERBOSE lines) to $OUT/<variant>.log, and the ISA oneDNN reported to $OUT/<variant>/dnnl-isa.txt;
# then `python3 summarise.py $OUT` prints the table. Run from the repository root after
# `mvn -B -Djavacpp.platform=linux-x86_64 -DskipTests package`. About 1-2 minutes per variant on 2 cores.
#
# Recorded here (commit f8bcbb3, AMD EPYC Zen 3 with AVX2 and no AVX-512, 2 vCPUs): the kept files next to this
# script (each variant's results.json, per-iteration CSV and dnnl-isa.txt; the logs, several hundred KB each of
# DNNL_VERBOSE lines, are not kept) and the table in docs/results.md.
set -u
JAR=${JAR:-sadam-examples/target/sadam-examples.jar}
OUT=${OUT:-results/reproducibility}
mkdir -p "$OUT"
QAT=(qat --optimizers adamw --train-limit 6400 --test-limit 2000 --progress off)
run() {   # run NAME [VAR=value ...] -- [global options before the command]
    local name=$1; shift
    local vars=() globals=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do vars+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    globals=("$@")
    rm -rf "${OUT:?}/$name"
    env "${vars[@]}" DNNL_VERBOSE=1 java -jar "$JAR" "${globals[@]}" "${QAT[@]}" --out "$OUT/$name" \
        > "$OUT/$name.log" 2>&1
    grep -m1 'dnnl_verbose,info,cpu,isa:' "$OUT/$name.log" > "$OUT/$name/dnnl-isa.txt" \
        || echo "(no DNNL_VERBOSE line)" > "$OUT/$name/dnnl-isa.txt"
}
run base1
run base2
run isa-avx DNNL_MAX_CPU_ISA=AVX
run isa-sse41 DNNL_MAX_CPU_ISA=SSE41
run blas-haswell OPENBLAS_CORETYPE=Haswell
run blas-zen OPENBLAS_CORETYPE=Zen
run blas-sandy OPENBLAS_CORETYPE=Sandybridge
run helpers-off -- --dl4j-helpers off
rm -rf "${OUT:?}/threads2"   # the recorded run had no DNNL_VERBOSE here; the setting is --threads 2
java -jar "$JAR" "${QAT[@]:0:1}" --threads 2 "${QAT[@]:1}" --out "$OUT/threads2" > "$OUT/threads2.log" 2>&1
echo "(no DNNL_VERBOSE in this variant)" > "$OUT/threads2/dnnl-isa.txt"
python3 "$(dirname "$0")/summarise.py" "$OUT"
