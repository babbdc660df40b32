#!/bin/bash
# usage: record.sh OUTFILE command...   (run from the cwd wanted)
# OUTFILE: header (command, cwd, commit, start, loadavg before), the command's stdout+stderr, footer (exit, end, wall
# seconds, loadavg after), each with a one-core CPU calibration. OUTFILE.load: every 10 s the load average, top's CPU line and the busiest processes.
out="$1"; shift; mkdir -p "$(dirname "$out")"
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo ", tracked files modified")
{ echo "# command: $*"; echo "# cwd: $(pwd)"
  echo "# commit: $(git rev-parse --short HEAD 2>/dev/null) (branch $(git branch --show-current 2>/dev/null)$dirty)"
  echo "# start: $(date -u +%FT%TZ)"; echo "# loadavg before: $(cat /proc/loadavg)"
  echo "# cpu calibration before (pure-Python loop, one core): $(/usr/bin/python3 "$(dirname "$0")/calib.py")"; } > "$out"
( while true; do
    { echo "== $(date -u +%T) loadavg $(cat /proc/loadavg)"
      top -c -bn2 -d1 -o %CPU -w 400 | awk '/^top -/{f++} f==2' | awk 'NR==3{print "   ", $0} NR>=8 && NR<=12 && $9>5 {
        c=""; for(i=12;i<=NF;i++) c=c" "$i; print "   ", $1, $9"%", substr(c,1,140)}'; } >> "$out.load"
    sleep 9; done ) &
sampler=$!; t0=$(date +%s.%N)
"$@" >> "$out" 2>&1; rc=$?
t1=$(date +%s.%N); kill $sampler 2>/dev/null; wait $sampler 2>/dev/null
{ echo "# exit: $rc"; echo "# end: $(date -u +%FT%TZ)"; echo "# wall seconds: $(echo "$t1 - $t0" | bc)"
  echo "# loadavg after: $(cat /proc/loadavg)"
  echo "# cpu calibration after: $(/usr/bin/python3 "$(dirname "$0")/calib.py")"; } >> "$out"
tail -n 5 "$out"; exit $rc
