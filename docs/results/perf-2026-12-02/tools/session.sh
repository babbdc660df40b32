#!/bin/bash
# The session of perf-2026-12-02, one command at a time (run from the repository root). Before each block: wait
# (at most 5 min) until the 1-minute load is <= 1.0; load-checks.txt says how long and what else ran.
R=docs/results/perf-2026-12-02; M=$R/tools/record.sh; J=sadam-examples/target/sadam-examples.jar
LOG=$R/load-checks.txt; DATA=/usr/share/datasets/fashion-mnist; PEER=/work/shared/peer
block() {
  local t0=$(date +%s) l0=$(cut -d' ' -f1 /proc/loadavg) busy
  busy=$(top -c -bn2 -d1 -o %CPU -w 300 | awk '/^top -/{f++} f==2' | awk 'NR>=8 && NR<=10 && $9>5 {c=""; for(i=12;i<=NF;i++) c=c" "$i; printf "%s %s%%%s; ", $1, $9, substr(c,1,90)}')
  while (( $(echo "$(cut -d' ' -f1 /proc/loadavg) > 1.0" | bc) )) && (( $(date +%s) - t0 < 300 )); do sleep 10; done
  echo "$(date -u +%FT%TZ) block $1: load before wait $l0, waited $(( $(date +%s) - t0 )) s, now $(cut -d' ' -f1-3 /proc/loadavg)$( (( $(echo "$(cut -d' ' -f1 /proc/loadavg) > 1.0" | bc) )) && echo ' (STILL ABOVE 1.0 after 5 min)'); busiest at start: ${busy:-nothing above 5%}" | tee -a $LOG
}
V="--variants adamw,sadam-k3 --progress off"
for r in 1 2 3; do
  block A-r$r
  $M $R/A/r$r-dl4j-t1-p1.txt java -jar $J bench --threads 1 --probe-threads 1 $V --markdown $R/A/r$r-dl4j-t1-p1.md --csv $R/A/r$r-dl4j-t1-p1.csv
  $M $R/A/r$r-dl4j-t1-pauto.txt java -jar $J bench --threads 1 $V --markdown $R/A/r$r-dl4j-t1-pauto.md --csv $R/A/r$r-dl4j-t1-pauto.csv
  $M $R/A/r$r-torch-t2.txt /usr/bin/python3 $PEER/torch_steps.py $DATA adamw,sadam 2 200 20
  $M $R/A/r$r-torch-t1.txt /usr/bin/python3 $PEER/torch_steps.py $DATA adamw,sadam 1 200 20
done
block A-parts
$M $R/A/torch-parts-t1.txt /usr/bin/python3 docs/results/perf-2026-12-01/tools/torch_parts.py $DATA 1 200 20
for r in 1 2; do
  block B-r$r
  $M $R/B/epoch-r$r-dl4j-t1.txt java -jar $J qat --optimizers sadam --parallel-runs 1 --threads 1 --seeds 1 --epochs 1 --progress off -o $R/B/epoch-r$r-dl4j-t1
  $M $R/B/epoch-r$r-dl4j-t2.txt java -jar $J qat --optimizers sadam --parallel-runs 1 --threads 2 --seeds 1 --epochs 1 --progress off -o $R/B/epoch-r$r-dl4j-t2
  $M $R/B/epoch-r$r-torch-fmnist.txt /usr/bin/python3 $PEER/torch_fmnist.py $DATA sadam 42 1 0.005
done
C="--optimizers sadam,adamw --seed 42 --epochs 1 --progress off"
block C-parallel-w1;  $M $R/C/parallel-w1.txt java -jar $J parallel --workers 1 $C -o $R/C/parallel-w1
block C-parallel-w2;  $M $R/C/parallel-w2.txt java -jar $J parallel --workers 2 $C -o $R/C/parallel-w2
block C-spark-pa-w1;  $M $R/C/spark-pa-w1.txt java -jar $J spark --workers 1 $C -o $R/C/spark-pa-w1
block C-spark-pa-w2;  $M $R/C/spark-pa-w2.txt java -jar $J spark --workers 2 $C -o $R/C/spark-pa-w2
block C-spark-pa-w2-kryo; $M $R/C/spark-pa-w2-kryo.txt java -jar $J spark --workers 2 --kryo $C -o $R/C/spark-pa-w2-kryo
block C-spark-sharing; $M $R/C/spark-sharing.txt java -jar $J spark --training-master sharing $C --train-limit 6400 -o $R/C/spark-sharing
block C-qat-single-6400; $M $R/C/qat-single-6400.txt java -jar $J qat $C --train-limit 6400 --parallel-runs 1 -o $R/C/qat-single-6400
block C-qat-single;   $M $R/C/qat-single.txt java -jar $J qat $C --parallel-runs 1 -o $R/C/qat-single
echo "$(date -u +%FT%TZ) SESSION-DONE" | tee -a $LOG
