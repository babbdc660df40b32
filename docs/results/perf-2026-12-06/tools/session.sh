#!/bin/bash
# The measurement session of perf-2026-12-06 (issue 17), one part at a time; run from the repository root on a quiet
# machine after `mvn -B -Djavacpp.platform=linux-x86_64 -DskipTests package`:
#
#   docs/results/perf-2026-12-06/tools/session.sh PART...     PART: env a b c d e profile, or all (in that order)
#
# Every command goes through ../perf-2026-12-02/tools/record.sh (command, commit, load before/after and sampled every
# 10 s, a one-core CPU calibration) and /usr/bin/time (user and system seconds, peak memory, context switches); before
# each block the script waits (at most 5 min) for the 1-minute load to fall to 1.0 and logs the wait in
# load-checks.txt. Raw output goes to $OUT (default docs/results/perf-2026-12-06/raw); `tools/summarise.py` prints
# every table of docs/benchmarks.md ("Third round") from it and writes summary.json. Durations on the 2-core VM of
# the earlier sessions (estimates): env 1 min, a 25 min, b 15 min, c 35 min, d 15 min, e 15 min, profile 10 min.
#
# SIZE=tiny runs every part with a few steps only (a dry run of the scripts; its numbers mean nothing).
set -u
cd "$(git rev-parse --show-toplevel)" || exit 1
R=docs/results/perf-2026-12-06
OUT=${OUT:-$R/raw}
M=docs/results/perf-2026-12-02/tools/record.sh
J=sadam-examples/target/sadam-examples.jar
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
PEER=docs/results/peer
PY=/usr/bin/python3
FAST="MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296"   # PyTorch's fast mode (benchmarks.md)
TIME=(/usr/bin/time -f '# time: user %U s, system %S s, wall %e s, max RSS %M KB, voluntary switches %w, involuntary switches %c')
LOG=$OUT/load-checks.txt
mkdir -p "$OUT"
tiny() { [ "${SIZE:-}" = tiny ]; }
if tiny; then
  STEPS="--warmup 2 --steps 4 --rounds 2 --batches 4"; TSTEPS="8 2"; ALT=1; EPOCH="--train-limit 640"
  RSTEPS="--warmup 1 --steps 2 --rounds 1 --batches 2"; RT="2 1"; JMH="-f 1 -wi 1 -i 1 -w 1 -r 1"
  LAZY="--warmup 0 --steps 40 --rounds 2 --batches 4"; PROF_STEPS=20
else
  STEPS="--warmup 20 --steps 200 --rounds 5"; TSTEPS="200 20"; ALT=3; EPOCH=""
  RSTEPS="--warmup 3 --steps 12 --rounds 3 --batches 4"; RT="12 3"; JMH="-f 1 -wi 3 -i 6"
  LAZY="--warmup 20 --steps 400 --rounds 5"; PROF_STEPS=400
fi
bench() { "${TIME[@]}" java -jar $J bench --progress off "$@"; }
block() {
  local t0 l0
  t0=$(date +%s); l0=$(cut -d' ' -f1 /proc/loadavg)
  while (( $(echo "$(cut -d' ' -f1 /proc/loadavg) > 1.0" | bc) )) && (( $(date +%s) - t0 < 300 )) && ! tiny; do
    sleep 10
  done
  echo "$(date -u +%FT%TZ) block $1: load before wait $l0, waited $(( $(date +%s) - t0 )) s, now $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$LOG"
}

part_env() {   # the machine, the build, the thread settings
  { echo "# date: $(date -u +%FT%TZ)"; echo "# commit: $(git rev-parse HEAD) ($(git status --porcelain --untracked-files=no | grep -q . && echo 'tracked files modified' || echo clean))"
    echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"; echo "# cores: $(nproc)"
    echo "# flags: $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2- | tr ' ' '\n' | grep -E '^(avx|avx2|avx512f|avx512bw|avx512_vnni|fma|amx)' | tr '\n' ' ')"
    echo "# memory: $(free -g | awk '/Mem:/{print $2}') GiB"; echo "# kernel: $(uname -r)"
    echo "# java: $(java -version 2>&1 | head -1)"; echo "# torch: $($PY -c 'import torch; print(torch.__version__, torch.__config__.parallel_info().splitlines()[0:3])' 2>&1)"
    echo "# thread settings: OMP_NUM_THREADS=${OMP_NUM_THREADS:-unset} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset} SD_MAX_THREADS=${SD_MAX_THREADS:-unset} SD_MASTER_THREADS=${SD_MASTER_THREADS:-unset}"
    echo "# loadavg: $(cat /proc/loadavg)"; lscpu; } > "$OUT/env.txt"
  cat "$OUT/env.txt" | head -12
}

part_a() {   # (a) one thread, the qat network: DL4J AdamW and S-Adam k = 3 (this round and DL4J's defaults) vs PyTorch
  for r in $(seq 1 $ALT); do
    block a-r$r
    $M $OUT/a/r$r-dl4j.txt taskset -c 0 "${TIME[@]}" java -jar $J bench --progress off --threads 1 --variants adamw,sadam-k3 --no-breakdown $STEPS --markdown $OUT/a/r$r-dl4j.md --csv $OUT/a/r$r-dl4j.csv
    $M $OUT/a/r$r-dl4j-defaults.txt taskset -c 0 "${TIME[@]}" java -jar $J bench --progress off --threads 1 --speedups off --variants adamw,sadam-k3 --no-breakdown $STEPS --markdown $OUT/a/r$r-dl4j-defaults.md
    $M $OUT/a/r$r-torch.txt taskset -c 0 env $FAST "${TIME[@]}" $PY $PEER/torch_steps.py $DATA adamw,sadam 1 $TSTEPS
  done
  block a-breakdown
  $M $OUT/a/breakdown.txt taskset -c 0 "${TIME[@]}" java -jar $J bench --progress off --threads 1 --variants adamw $STEPS --layers --markdown $OUT/a/breakdown.md
}

part_b() {   # (b) one S-Adam k = 3 epoch, the whole machine: DL4J's candidates vs PyTorch's S-Adam epoch (2 threads)
  for r in 1 2; do
    block b-r$r
    $M $OUT/b/r$r-dl4j-t1.txt "${TIME[@]}" java -jar $J qat --optimizers sadam --parallel-runs 1 --threads 1 --seeds 1 --epochs 1 --progress off $EPOCH -o $OUT/b/r$r-dl4j-t1
    $M $OUT/b/r$r-dl4j-t2-passive.txt env OMP_WAIT_POLICY=PASSIVE "${TIME[@]}" java -jar $J qat --optimizers sadam --parallel-runs 1 --threads 2 --seeds 1 --epochs 1 --progress off $EPOCH -o $OUT/b/r$r-dl4j-t2-passive
    $M $OUT/b/r$r-dl4j-t1-n10.txt "${TIME[@]}" java -jar $J qat --optimizers sadam --probe-interval 10 --parallel-runs 1 --threads 1 --seeds 1 --epochs 1 --progress off $EPOCH -o $OUT/b/r$r-dl4j-t1-n10
    if tiny; then
      echo "(tiny: PyTorch's epoch skipped)" > $OUT/b/r$r-torch.txt
    else
      $M $OUT/b/r$r-torch.txt env $FAST "${TIME[@]}" $PY $PEER/torch_fmnist.py $DATA sadam 42 1 0.005
    fi
  done
}

part_c() {   # (c) the residual CNN: one thread and the whole machine, float and 4 bits, AdamW and S-Adam k = 3
  for bits in 32 4; do
    block c-b$bits
    $M $OUT/c/dl4j-b$bits-t1.txt taskset -c 0 "${TIME[@]}" java -jar $J bench --progress off --network resnet --bits $bits --threads 1 --variants adamw,sadam-k3 $RSTEPS --markdown $OUT/c/dl4j-b$bits-t1.md
    $M $OUT/c/dl4j-b$bits-t2.txt env OMP_WAIT_POLICY=PASSIVE "${TIME[@]}" java -jar $J bench --progress off --network resnet --bits $bits --threads 2 --variants adamw,sadam-k3 $RSTEPS --markdown $OUT/c/dl4j-b$bits-t2.md
    $M $OUT/c/dl4j-b$bits-t1p.txt "${TIME[@]}" java -jar $J bench --progress off --network resnet --bits $bits --threads 1 --variants adamw,sadam-k3 $RSTEPS --markdown $OUT/c/dl4j-b$bits-t1p.md
    $M $OUT/c/torch-b$bits-t1.txt taskset -c 0 env $FAST "${TIME[@]}" $PY $PEER/torch_resnet.py adamw,sadam $bits 1 $RT
    $M $OUT/c/torch-b$bits-t2.txt env $FAST "${TIME[@]}" $PY $PEER/torch_resnet.py adamw,sadam $bits 2 $RT
  done
}

part_d() {   # (d) the loss probes against k forward passes (JMH), one ND4J thread, then ND4J's default
  block d
  $M $OUT/d/probes-omp1.txt env OMP_NUM_THREADS=1 "${TIME[@]}" java -cp $J org.openjdk.jmh.Main ProbeOverheadBenchmark $JMH -rf json -rff $OUT/d/probes-omp1.json
  $M $OUT/d/probes-omp1-seq.txt env OMP_NUM_THREADS=1 "${TIME[@]}" java -cp $J org.openjdk.jmh.Main 'ProbeOverheadBenchmark.probes' -p model=mlp -p probeThreads=1 $JMH -rf json -rff $OUT/d/probes-omp1-seq.json
}

part_e() {   # (e) S-Adam's mean step against AdamW's for probe intervals N = 1, 2, 5, 10, 20 (one thread)
  for r in 1 2; do
    block e-r$r
    $M $OUT/e/r$r.txt taskset -c 0 "${TIME[@]}" java -jar $J bench --progress off --threads 1 --no-breakdown --variants adamw,sadam-k3,sadam-k3-n2,sadam-k3-n5,sadam-k3-n10,sadam-k3-n20 $LAZY --markdown $OUT/e/r$r.md --csv $OUT/e/r$r.csv
    $M $OUT/e/r$r-2cores.txt "${TIME[@]}" java -jar $J bench --progress off --threads 1 --no-breakdown --variants adamw,sadam-k3,sadam-k3-n2,sadam-k3-n5,sadam-k3-n10,sadam-k3-n20 $LAZY --markdown $OUT/e/r$r-2cores.md
  done
}

part_profile() {   # where an AdamW step goes: async-profiler (CPU time), JFR, ND4J's op profiler, torch.profiler
  block profile
  local ap
  ap=$(mktemp -d)
  mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:4.1 >/dev/null && \
    (cd "$ap" && unzip -q -o ~/.m2/repository/tools/profiler/async-profiler/4.1/async-profiler-4.1.jar linux-x64/libasyncProfiler.so)
  mkdir -p $OUT/profile
  for sp in on off; do
    $M $OUT/profile/async-$sp.txt taskset -c 0 java -agentpath:$ap/linux-x64/libasyncProfiler.so=start,event=itimer,interval=1ms,threads,file=$OUT/profile/async-$sp.collapsed,collapsed -jar $J bench --progress off --threads 1 --speedups $sp --variants adamw --no-breakdown --warmup 50 --steps $PROF_STEPS --rounds 1
    $PY $R/tools/profile_summary.py $OUT/profile/async-$sp.collapsed $OUT/profile/async-$sp.csv > $OUT/profile/async-$sp.md
    gzip -f $OUT/profile/async-$sp.collapsed
  done
  $M $OUT/profile/jfr.txt taskset -c 0 java -XX:FlightRecorderOptions:stackdepth=256 -XX:StartFlightRecording=filename=$OUT/profile/adamw.jfr,settings=profile -jar $J bench --progress off --threads 1 --variants adamw --no-breakdown --warmup 20 --steps $PROF_STEPS --rounds 1
  $PY $R/tools/jfr_summary.py $OUT/profile/adamw.jfr $OUT/profile/jfr.csv > $OUT/profile/jfr.md && rm -f $OUT/profile/adamw.jfr
  $M $OUT/profile/layers.txt taskset -c 0 java -jar $J bench --progress off --threads 1 --variants adamw --no-breakdown --warmup 20 --steps $PROF_STEPS --rounds 1 --layers --nd4j-op-profile $OUT/profile/nd4j-ops.txt --markdown $OUT/profile/layers.md
  $M $OUT/profile/layers-defaults.txt taskset -c 0 java -jar $J bench --progress off --threads 1 --speedups off --variants adamw --no-breakdown --warmup 20 --steps $PROF_STEPS --rounds 1 --layers --nd4j-op-profile $OUT/profile/nd4j-ops-defaults.txt --markdown $OUT/profile/layers-defaults.md
  $M $OUT/profile/torch.txt taskset -c 0 env $FAST $PY $PEER/torch_profile.py $DATA 1 $((PROF_STEPS / 4 + 1)) 20 $OUT/profile/torch.csv
  # threads: CPU time and context switches of one vs two ND4J threads, OpenMP's active and passive waiting
  for t in 1 2 2-passive; do
    local pol=()
    [ "$t" = 2-passive ] && pol=(OMP_WAIT_POLICY=PASSIVE)
    $M $OUT/profile/threads-t$t.txt env "${pol[@]}" perf stat -e task-clock,context-switches,cpu-migrations,page-faults java -jar $J bench --progress off --threads ${t%%-*} --variants adamw --no-breakdown --warmup 20 --steps $PROF_STEPS --rounds 1
  done
  rm -rf "$ap"
}

[ $# -eq 0 ] && { sed -n 2,14p "$0"; exit 2; }
for p in "$@"; do
  if [ "$p" = all ]; then set -- env a b c d e profile; for q in "$@"; do part_$q; done; break; fi
  part_$p
done
echo "$(date -u +%FT%TZ) SESSION PARTS DONE: $*" | tee -a "$LOG"
