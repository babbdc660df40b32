"""Prints the tables of the perf-2026-12-06 session (docs/benchmarks.md, "Third round") from its raw files and writes
summary.json: every figure with the file it came from (the files are the data, the tables a view).

usage: python3 summarise.py [--json FILE] [RAW]   (RAW default: ../raw next to this script; --json default:
RAW/../summary.json, '-' for none)"""
import glob
import gzip
import json
import os
import re
import statistics
import sys

args = sys.argv[1:]
json_out = 'default'
if args[:1] == ['--json']:
    json_out, args = args[1], args[2:]
here = os.path.dirname(os.path.abspath(__file__))
raw = args[0] if args else os.path.join(os.path.dirname(here), 'raw')
if json_out == 'default':
    json_out = os.path.join(os.path.dirname(os.path.abspath(raw)), 'summary.json')
if not os.path.isdir(raw):
    sys.exit(f'no raw folder {raw}: run tools/session.sh first (or restore the raw files, docs/results/README.md)')
figures = []


def rel(path):
    return os.path.relpath(path, os.path.dirname(os.path.abspath(raw)))


def fig(part, name, value, path, **keys):
    figures.append(dict(part=part, figure=name, value=value, file=rel(path), **keys))
    return value


def read(path):
    if os.path.exists(path):
        return open(path).read()
    if os.path.exists(path + '.gz'):
        return gzip.open(path + '.gz', 'rt').read()
    return None


def load(path):
    """1-minute load before and after a recorded command (record.sh's header and footer)"""
    text = read(path) or ''
    b = re.search(r'# loadavg before: ([\d.]+)', text)
    a = re.search(r'# loadavg after: ([\d.]+)', text)
    return f"{b[1] if b else '?'}/{a[1] if a else '?'}"


def bench_rows(path):
    """bench's Markdown table: optimizer -> {mean, median, p10, p90, x_adamw, probe_ms, probe_share}"""
    text = read(path)
    rows = {}
    if text is None:
        return rows
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) >= 10 and re.match(r'^(adamw|adam|proxsgd|sadam-k\d+(-n\d+)?)$', cells[0]):
            num = lambda s: float(s) if s not in ('', 'NaN') else float('nan')
            rows[cells[0]] = dict(mean=num(cells[1]), median=num(cells[2]), p10=num(cells[3]), p90=num(cells[4]),
                                  x_adamw=num(cells[5]), probe_ms=num(cells[7]), probe_share=num(cells[8]))
    return rows


def torch_rows(path):
    """a peer script's JSON lines: optimizer -> its figures"""
    text = read(path)
    out = {}
    for line in (text or '').splitlines():
        if line.startswith('{') and '"opt"' in line:
            d = json.loads(line)
            out[d['opt']] = d
    return out


def md_table(header, rows):
    print('| ' + ' | '.join(header) + ' |')
    print('| ' + ' | '.join('---' if i == 0 else '---:' for i in range(len(header))) + ' |')
    for r in rows:
        print('| ' + ' | '.join(r) + ' |')
    print()


def f(x, d=1):
    return '' if x is None or x != x else f'{x:.{d}f}'


def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float('nan')


# ------------------------------------------------------------------------------------------------------------ env
env = read(os.path.join(raw, 'env.txt'))
if env:
    print('## Machine and build\n')
    for line in env.splitlines()[:12]:
        print('    ' + line)
    print()

# ------------------------------------------------------------------------------------------------------------ (a)
rows, ratios_adamw, ratios_sadam = [], [], []
for p in sorted(glob.glob(os.path.join(raw, 'a', 'r*-dl4j.md'))):
    r = os.path.basename(p).split('-')[0]
    d = bench_rows(p)
    dd = bench_rows(p.replace('-dl4j.md', '-dl4j-defaults.md'))
    tp = p.replace('-dl4j.md', '-torch.txt')
    t = torch_rows(tp)
    if 'adamw' not in d:
        continue
    da = fig('a', 'dl4j adamw median ms', d['adamw']['median'], p, alt=r)
    ds = fig('a', 'dl4j sadam-k3 median ms', d.get('sadam-k3', {}).get('median', float('nan')), p, alt=r)
    ta = fig('a', 'torch adamw median ms', t.get('adamw', {}).get('median', float('nan')), tp, alt=r)
    ts = fig('a', 'torch sadam median ms', t.get('sadam', {}).get('median', float('nan')), tp, alt=r)
    pa = p.replace('-dl4j.md', '-dl4j-defaults.md')
    xa = fig('a', 'dl4j defaults adamw median ms', dd.get('adamw', {}).get('median', float('nan')), pa, alt=r)
    xs = fig('a', 'dl4j defaults sadam-k3 median ms', dd.get('sadam-k3', {}).get('median', float('nan')), pa,
             alt=r)
    ra = fig('a', 'adamw x pytorch', da / ta if ta else float('nan'), p, alt=r)
    rs = fig('a', 'sadam x pytorch', ds / ts if ts else float('nan'), p, alt=r)
    ratios_adamw.append(ra)
    ratios_sadam.append(rs)
    rows.append([r, f(da), f(ds), f(xa), f(xs), f(ta, 2), f(ts, 2), f(ra, 2), f(rs, 2), f(ds / da, 2),
                 load(p.replace('.md', '.txt')) + ', ' + load(tp)])
if rows:
    print('## (a) One thread (taskset -c 0), the qat network: median ms per step\n')
    md_table(['alt.', 'DL4J AdamW', 'DL4J S-Adam k=3', 'DL4J defaults AdamW', 'DL4J defaults S-Adam', 'PyTorch AdamW',
              'PyTorch S-Adam', 'AdamW x PyTorch', 'S-Adam x PyTorch', 'S-Adam / AdamW (DL4J)',
              'load before/after (DL4J, PyTorch)'], rows)
    print(f"median over alternations: AdamW x PyTorch {f(med(ratios_adamw), 2)} (target <= 1.5), "
          f"S-Adam x PyTorch {f(med(ratios_sadam), 2)}\n")
    fig('a', 'median adamw x pytorch', med(ratios_adamw), os.path.join(raw, 'a'))
bd = read(os.path.join(raw, 'a', 'breakdown.md'))
if bd and '## An AdamW step per layer' in bd:
    print(bd[bd.index('## An AdamW step per layer'):].replace('## ', '### (a) ', 1))

# ------------------------------------------------------------------------------------------------------------ (b)
rows = []
for p in sorted(glob.glob(os.path.join(raw, 'b', 'r*-torch.txt'))):
    r = os.path.basename(p).split('-')[0]
    t = None
    for line in (read(p) or '').splitlines():
        if line.startswith('{"epoch"'):
            t = json.loads(line)['seconds']
    tt = fig('b', 'torch sadam epoch s', t if t else float('nan'), p, alt=r)
    cells = [r]
    for tag in ('t1', 't2-passive', 't1-n10'):
        res = os.path.join(raw, 'b', f'{r}-dl4j-{tag}', 'results.json')
        sec = float('nan')
        if os.path.exists(res):
            for run in json.load(open(res)).get('runs', []):
                sec = run.get('sec_per_epoch', run.get('summary', {}).get('sec_per_epoch', float('nan')))
                if sec is None:
                    sec = float('nan')
        fig('b', f'dl4j sadam epoch s ({tag})', sec, res, alt=r)
        cells += [f(sec), f(sec / tt, 2) if tt == tt else '']
    cells += [f(tt), load(p)]
    rows.append(cells)
if rows:
    print('## (b) One S-Adam k = 3 epoch, the whole machine (training time, s)\n')
    md_table(['alt.', 'DL4J --threads 1', 'x PyTorch', 'DL4J --threads 2, OMP_WAIT_POLICY=PASSIVE', 'x PyTorch',
              'DL4J --threads 1, --probe-interval 10', 'x PyTorch', 'PyTorch (2 threads)', 'load before/after'],
             rows)
    print('target: DL4J best x PyTorch <= 1.8\n')

# ------------------------------------------------------------------------------------------------------------ (c)
rows = []
for bits in ('32', '4'):
    for mode, label in (('t1', 'one thread (taskset)'), ('t2', 'whole machine (2 threads/op, passive)'),
                        ('t1p', 'whole machine (1 thread/op, probe threads auto)')):
        p = os.path.join(raw, 'c', f'dl4j-b{bits}-{mode}.md')
        d = bench_rows(p)
        tp = os.path.join(raw, 'c', f"torch-b{bits}-{'t1' if mode == 't1' else 't2'}.txt")
        t = torch_rows(tp)
        if not d:
            continue
        cells = [('float' if bits == '32' else '4-bit'), label]
        for opt, topt in (('adamw', 'adamw'), ('sadam-k3', 'sadam')):
            dm = fig('c', f'dl4j {opt} median ms', d.get(opt, {}).get('median', float('nan')), p, bits=bits,
                     mode=mode)
            tm = fig('c', f'torch {topt} median ms', t.get(topt, {}).get('median', float('nan')), tp, bits=bits,
                     mode=mode)
            cells += [f(dm, 0), f(tm, 0), f(dm / tm, 2) if tm == tm and tm else '']
        rows.append(cells)
if rows:
    print('## (c) The residual CNN (batch 128): median ms per step\n')
    md_table(['network', 'threads', 'DL4J AdamW', 'PyTorch AdamW', 'ratio', 'DL4J S-Adam k=3', 'PyTorch S-Adam',
              'ratio'], rows)

# ------------------------------------------------------------------------------------------------------------ (d)
for name in ('probes-omp1.json', 'probes-omp1-seq.json'):
    p = os.path.join(raw, 'd', name)
    if not os.path.exists(p):
        continue
    res = json.load(open(p))
    by = {}
    for r in res:
        prm = r.get('params', {})
        key = (prm.get('model'), int(prm.get('k', 0)), int(prm.get('batchSize', 0)), prm.get('probeThreads', '0'))
        by.setdefault(key, {})[r['benchmark'].rsplit('.', 1)[1]] = (r['primaryMetric']['score'],
                                                                   r['primaryMetric']['scoreError'])
    rows = []
    for key in sorted(by):
        b = by[key]
        if 'probes' not in b:
            continue
        pr = b['probes'][0]
        fl = b.get('forwardLoss', (float('nan'),))[0]
        ratio = fig('d', 'probes / k forward+loss', pr / fl if fl == fl else float('nan'), p, model=key[0],
                    k=key[1], batch=key[2], probe_threads=key[3])
        rows.append([key[0], str(key[2]), str(key[1]), key[3], f'{pr:.3f} +- {b["probes"][1]:.3f}',
                     f'{fl:.3f}' if fl == fl else '', f(ratio, 2)])
    print(f'## (d) The loss probes against k forward passes ({name}, ms, JMH, OMP_NUM_THREADS=1)\n')
    md_table(['network', 'batch', 'k', 'probe threads (0 = auto)', 'probes', 'k x forward + loss', 'ratio'], rows)
    print('target: ratio <= 1.3 for the MLP\n')

# ------------------------------------------------------------------------------------------------------------ (e)
for tag, label in (('', 'one thread (taskset)'), ('-2cores', 'one ND4J thread, probe threads auto (2 cores)')):
    per = {}
    for p in sorted(glob.glob(os.path.join(raw, 'e', f'r[0-9]{tag}.md'))):
        d = bench_rows(p)
        for v, x in d.items():
            per.setdefault(v, []).append((x['mean'], x['x_adamw'], p))
    if not per:
        continue
    rows = []
    for v in ['adamw', 'sadam-k3', 'sadam-k3-n2', 'sadam-k3-n5', 'sadam-k3-n10', 'sadam-k3-n20']:
        if v not in per:
            continue
        for mean, x, p in per[v]:
            fig('e', f'{v} mean ms', mean, p)
            fig('e', f'{v} x adamw', x, p)
        n = '1' if v == 'sadam-k3' else ('' if v == 'adamw' else v.split('-n')[1])
        rows.append([v, n, ', '.join(f(m) for m, _, _ in per[v]), ', '.join(f(x, 2) for _, x, _ in per[v])])
    print(f'## (e) S-Adam k = 3 mean step (probing steps amortized) against AdamW\'s, {label}\n')
    md_table(['variant', 'probe interval N', 'mean ms per step (each run)', 'x AdamW (each run)'], rows)
    print('target: x AdamW <= 1.15 at the chosen N\n')

# ------------------------------------------------------------------------------------------------------- profile
for name, title in (('async-on.md', 'async-profiler, CPU time, this round\'s settings'),
                    ('async-off.md', 'async-profiler, CPU time, DL4J\'s defaults'),
                    ('jfr.md', 'Java Flight Recorder'), ('layers.md', 'per layer'),
                    ('layers-defaults.md', 'per layer, DL4J\'s defaults')):
    text = read(os.path.join(raw, 'profile', name))
    if text:
        print(f'## Profile: {title} ({name})\n')
        print(text.strip() + '\n')
tp = os.path.join(raw, 'profile', 'torch.txt')
if read(tp):
    t = read(tp)
    start = t.find('# torch')
    print('## Profile: torch.profiler\n')
    print(t[start:t.find('# exit')].strip() + '\n' if start >= 0 else t)
for p in sorted(glob.glob(os.path.join(raw, 'profile', 'threads-*.txt'))):
    t = read(p)
    clock = re.search(r'([\d.,]+)\s+msec task-clock', t or '')
    cs = re.search(r'([\d.,]+)\s+context-switches', t or '')
    d = bench_rows(p)
    if clock:
        fig('threads', 'task-clock ms', float(clock[1].replace(',', '')), p)
    print(f"threads {os.path.basename(p)}: task-clock {clock[1] if clock else '?'} ms, context switches "
          f"{cs[1] if cs else '?'}; bench median {f(d.get('adamw', {}).get('median'))} ms, load {load(p)}")

if json_out != '-':
    with open(json_out, 'w') as out:
        json.dump(dict(session='perf-2026-12-06', figures=figures), out, indent=1, default=str)
    print(f'\n{len(figures)} figures -> {json_out}')
