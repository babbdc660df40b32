#!/bin/bash
# Extra, after session.sh (not in the brief): a fourth Part A alternation (r2's PyTorch steps ran 2.5-3.7x slower than
# r1's and r3's with nothing else running) and torch_parts.py again (its first run's whole step disagreed with
# torch_steps.py). Same commands, same record.sh, same load check (block() as in session.sh).
R=docs/results/perf-2026-12-02; M=$R/tools/record.sh; J=sadam-examples/target/sadam-examples.jar
LOG=$R/load-checks.txt; DATA=/usr/share/datasets/fashion-mnist; PEER=/work/shared/peer
eval "$(sed -n '/^block() {/,/^}/p' $R/tools/session.sh)"
V="--variants adamw,sadam-k3 --progress off"; X=$R/A-extra
block A-extra-r4
$M $X/r4-dl4j-t1-p1.txt java -jar $J bench --threads 1 --probe-threads 1 $V --markdown $X/r4-dl4j-t1-p1.md --csv $X/r4-dl4j-t1-p1.csv
$M $X/r4-dl4j-t1-pauto.txt java -jar $J bench --threads 1 $V --markdown $X/r4-dl4j-t1-pauto.md --csv $X/r4-dl4j-t1-pauto.csv
$M $X/r4-torch-t2.txt /usr/bin/python3 $PEER/torch_steps.py $DATA adamw,sadam 2 200 20
$M $X/r4-torch-t1.txt /usr/bin/python3 $PEER/torch_steps.py $DATA adamw,sadam 1 200 20
block A-extra-parts
$M $X/torch-parts-t1.txt /usr/bin/python3 docs/results/perf-2026-12-01/tools/torch_parts.py $DATA 1 200 20
echo "$(date -u +%FT%TZ) EXTRA-DONE" | tee -a $LOG
