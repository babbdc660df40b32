#!/bin/bash
# A/B of ProbeOverheadBenchmark (MLP, batch 64, probes one after another), two builds alternating.
# /tmp/benchA and /tmp/benchB each hold a copy of sadam-examples/target/sadam-examples.jar and target/lib/ from
# `mvn -B -o -Djavacpp.platform=linux-x86_64 -pl sadam-updater,sadam-examples -am package -DskipTests` at the
# commit under test (A: 2e4b197, B: aa21332). Output: ../probe-threads-ab.txt.
# A/B: ProbeOverheadBenchmark MLP batch 64, probes one after another, before (A) and after (B), alternating
for round in 1 2; do
  for v in A B; do
    echo "== $v round $round $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
    env OMP_NUM_THREADS=1 java -cp /tmp/bench$v/sadam-examples.jar org.openjdk.jmh.Main 'ProbeOverheadBenchmark.(probes|forwardLoss)' -p model=mlp -p batchSize=64 -p k=2,8 -p probeThreads=1 -f 1 -wi 2 -w 5s -i 4 -r 5s 2>&1 | grep -E "^ProbeOverhead"
  done
done
