"""Prints the lazy-probing table of docs/results.md from the N<n>/results.json records of run.sh.

usage: python3 summarise.py [DIR]   (DIR default: this folder)"""
import glob
import json
import os
import statistics
import sys

base = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
rows = []
for path in glob.glob(os.path.join(base, 'N*', 'results.json')):
    rec = json.load(open(path))
    n = int(rec['settings']['sadam.probe_interval'])
    runs = [r for r in rec['runs'] if r['optimizer'] == 'sadam']
    acc = [r['test_acc_pct'] for r in runs]
    best = [r['best_acc_pct'] for r in runs]
    probed = sum(r['steps_by_estimator'].get('LOSS_PROBES', 0) - r['steps_reused'] for r in runs)
    steps = sum(r['iterations'] for r in runs)
    rows.append((n, acc, best, probed, steps, [r['mean_alpha'] for r in runs], rec['status']))
rows.sort()
ref = next((r for r in rows if r[0] == 1), None)
print('| probe interval N | seeds | final test accuracy, mean +- sd (%) | per seed 42, 43, 44 | best epoch, mean (%) '
      '| probing steps | mean alpha | inside N = 1\'s range |')
print('| ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |')
for n, acc, best, probed, steps, alpha, status in rows:
    sd = statistics.stdev(acc) if len(acc) > 1 else float('nan')
    inside = ''
    if ref and n != 1:
        lo, hi = min(ref[1]), max(ref[1])
        m = statistics.mean(acc)
        inside = 'yes' if lo <= m <= hi else 'no'
    print(f'| {n} | {len(acc)} | {statistics.mean(acc):.2f} +- {sd:.2f} | {", ".join(f"{a:.2f}" for a in acc)} | '
          f'{statistics.mean(best):.2f} | {probed} of {steps} | {statistics.mean(alpha):.3f} | {inside}'
          + ('' if status == 'completed' else f' ({status})') + ' |')
