"""Prints the tables of the perf-2026-12-02 session from its raw files (the files are the data, the tables a view).
usage: python3 summarise.py [--json FILE] [FOLDER]   (FOLDER default: the folder above this script; --json also writes
every figure with the file it came from)"""
import csv, glob, gzip, json, os, re, statistics, sys

args = sys.argv[1:]
json_out = None
if args[:1] == ['--json']:
    json_out, args = args[1], args[2:]
root = args[0] if args else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
figures = []  # every figure printed, with its source file
if not os.path.exists(os.path.join(root, 'A', 'r1-dl4j-t1-p1.csv')):
    sys.exit('The raw files of this session are not in the working tree (they live in the repository\'s history): '
             'run docs/results/restore-raw.sh first. Their output is recorded in ../README.md and ../summary.json.')


def rel(path):
    return os.path.relpath(path, root)


def fig(part, name, value, path, **keys):
    figures.append(dict(part=part, figure=name, value=value, file=rel(path), **keys))
    return value


def read(path):
    """a recorded command's output: PATH, or PATH.gz (the long Spark logs are stored gzipped)"""
    return open(path).read() if os.path.exists(path) else gzip.open(path + '.gz', 'rt').read()


def recorded(path):
    return os.path.exists(path) or os.path.exists(path + '.gz')


def header(path):
    """exit, wall seconds and 1-minute load before/after of a recorded command, and the load samples while it ran"""
    text = read(path)
    g = lambda pat: (re.search(pat, text) or [None, None])[1]
    samples = [float(x) for x in re.findall(r'^== \S+ loadavg ([\d.]+)', open(path + '.load').read(), re.M)] \
        if os.path.exists(path + '.load') else []
    steal = [float(x) for x in re.findall(r'([\d.]+) st', open(path + '.load').read())] \
        if os.path.exists(path + '.load') else []
    return dict(exit=int(g(r'# exit: (\d+)')) if g(r'# exit: (\d+)') else None,
                wall=float(g(r'# wall seconds: ([\d.]+)') or 'nan'),
                before=float(g(r'# loadavg before: ([\d.]+)') or 'nan'),
                after=float(g(r'# loadavg after: ([\d.]+)') or 'nan'),
                max_load=max(samples, default=float('nan')), max_steal=max(steal, default=0.0))


def others(path):
    """processes other than the recorded command (and top, the sampler) seen at >= 20% CPU in its .load file"""
    seen = {}
    if os.path.exists(path + '.load'):
        for line in open(path + '.load'):
            m = re.match(r'\s+(\d+) ([\d.]+)% (.*)', line)
            if m and not re.search(r'sadam-examples\.jar|torch_\w+\.py|^\s*top\b|record\.sh', m[3]) \
                    and float(m[2]) >= 20:
                seen[m[3].strip()[:60]] = max(seen.get(m[3].strip()[:60], 0), float(m[2]))
    return '; '.join(f'{k} ({v:.0f}%)' for k, v in seen.items()) or '-'


def load_cell(path):
    h = header(path)
    return f"{h['before']:.2f}/{h['max_load']:.2f}/{h['after']:.2f}"


def dl4j_bench(path):
    """median and mean step ms per variant of a `bench --csv` file, probe ms median"""
    steps, probes = {}, {}
    for row in csv.DictReader(open(path)):
        steps.setdefault(row['variant'], []).append(float(row['step_ms']))
        if row.get('probe_ms') not in (None, ''):
            probes.setdefault(row['variant'], []).append(float(row['probe_ms']))
    return {k: dict(median=statistics.median(v), mean=statistics.mean(v), n=len(v),
                    probe_median=statistics.median(probes[k]) if k in probes else None) for k, v in steps.items()}


def torch_steps(path):
    return {j['opt']: j for j in map(json.loads, (l for l in open(path) if l.startswith('{'))) if 'median' in j}


def rng(values):
    return f"{min(values):.2f}-{max(values):.2f}"


def part_a(sub='A', title='A: two cores'):
    d = os.path.join(root, sub)
    rs = sorted({re.match(r'(r\d+)-', os.path.basename(f))[1] for f in glob.glob(os.path.join(d, 'r*-dl4j-*.csv'))})
    rows = []
    if not rs:
        return
    print(f'## {title}, median ms per step (bench --threads 1; torch_steps.py 200 steps, 20 warm-up)\n')
    print('| alt. | DL4J AdamW p1 | DL4J S-Adam p1 | DL4J AdamW pauto | DL4J S-Adam pauto | PyTorch AdamW t1 '
          '| PyTorch S-Adam t1 | PyTorch AdamW t2 | PyTorch S-Adam t2 |')
    print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for r in rs:
        f1, fa = os.path.join(d, r + '-dl4j-t1-p1.csv'), os.path.join(d, r + '-dl4j-t1-pauto.csv')
        t1, t2 = os.path.join(d, r + '-torch-t1.txt'), os.path.join(d, r + '-torch-t2.txt')
        p1, pa = dl4j_bench(f1), dl4j_bench(fa)
        q1, q2 = torch_steps(t1), torch_steps(t2)
        row = dict(r=r)
        for key, src, res, v in [('dl4j_adamw_p1', f1, p1, 'adamw'), ('dl4j_sadam_p1', f1, p1, 'sadam-k3'),
                                 ('dl4j_adamw_pauto', fa, pa, 'adamw'), ('dl4j_sadam_pauto', fa, pa, 'sadam-k3')]:
            row[key] = fig(sub, key + '_median_ms', res[v]['median'], src, alternation=r)
            row[key + '_mean'] = fig(sub, key + '_mean_ms', res[v]['mean'], src, alternation=r)
        for key, src, res, o in [('torch_adamw_t1', t1, q1, 'adamw'), ('torch_sadam_t1', t1, q1, 'sadam'),
                                 ('torch_adamw_t2', t2, q2, 'adamw'), ('torch_sadam_t2', t2, q2, 'sadam')]:
            row[key] = fig(sub, key + '_median_ms', res[o]['median'], src, alternation=r)
        row['loads'] = {k: load_cell(os.path.join(d, f'{r}-{k}.txt'))
                        for k in ('dl4j-t1-p1', 'dl4j-t1-pauto', 'torch-t2', 'torch-t1')}
        row['others'] = {k: others(os.path.join(d, f'{r}-{k}.txt'))
                         for k in ('dl4j-t1-p1', 'dl4j-t1-pauto', 'torch-t2', 'torch-t1')}
        rows.append(row)
        print(f"| {r} | {row['dl4j_adamw_p1']:.2f} | {row['dl4j_sadam_p1']:.2f} | {row['dl4j_adamw_pauto']:.2f} "
              f"| {row['dl4j_sadam_pauto']:.2f} | {row['torch_adamw_t1']:.2f} | {row['torch_sadam_t1']:.2f} "
              f"| {row['torch_adamw_t2']:.2f} | {row['torch_sadam_t2']:.2f} |")
    if not rows:
        return
    ratios = [('AdamW: DL4J (1 thread) / PyTorch 1 thread', 'dl4j_adamw_p1', 'torch_adamw_t1'),
              ('AdamW: DL4J (1 thread) / PyTorch 2 threads', 'dl4j_adamw_pauto', 'torch_adamw_t2'),
              ('S-Adam: DL4J probe threads 1 / PyTorch 1 thread', 'dl4j_sadam_p1', 'torch_sadam_t1'),
              ('S-Adam: DL4J probe threads auto (2) / PyTorch 2 threads', 'dl4j_sadam_pauto', 'torch_sadam_t2'),
              ('S-Adam / AdamW, DL4J probe threads 1', 'dl4j_sadam_p1', 'dl4j_adamw_p1'),
              ('S-Adam / AdamW, DL4J probe threads auto (2)', 'dl4j_sadam_pauto', 'dl4j_adamw_pauto'),
              ('S-Adam / AdamW, PyTorch 1 thread', 'torch_sadam_t1', 'torch_adamw_t1'),
              ('S-Adam / AdamW, PyTorch 2 threads', 'torch_sadam_t2', 'torch_adamw_t2'),
              ('DL4J S-Adam: probe threads 1 / auto', 'dl4j_sadam_p1', 'dl4j_sadam_pauto')]
    print('\n### A: ratios of the medians, per alternation (and their range)\n')
    print('| ratio | ' + ' | '.join(r['r'] for r in rows) + ' | range |')
    print('| --- | ' + ' | '.join('---:' for _ in rows) + ' | --- |')
    for name, a, b in ratios:
        vals = [fig(sub, 'ratio ' + name, r[a] / r[b], os.path.join(d, r['r'] + '-*'), alternation=r['r'])
                for r in rows]
        print(f"| {name} | " + ' | '.join(f'{v:.2f}' for v in vals) + f" | {rng(vals)} |")
    print('\nS-Adam / AdamW from the means (the bench\'s own "x AdamW (mean)" basis): ' + '; '.join(
        f"{r['r']}: p1 {r['dl4j_sadam_p1_mean'] / r['dl4j_adamw_p1_mean']:.2f}, "
        f"pauto {r['dl4j_sadam_pauto_mean'] / r['dl4j_adamw_pauto_mean']:.2f}" for r in rows))
    print('\n### A: 1-minute load (before / max of 10-s samples / after) and other busy processes\n')
    print('| alt. | dl4j-t1-p1 | dl4j-t1-pauto | torch-t2 | torch-t1 | other processes >= 20% CPU |')
    print('| --- | --- | --- | --- | --- | --- |')
    for r in rows:
        o = '; '.join(sorted({v for v in r['others'].values() if v != '-'})) or '-'
        print(f"| {r['r']} | " + ' | '.join(r['loads'].values()) + f" | {o} |")
    parts = os.path.join(d, 'torch-parts-t1.txt')
    if os.path.exists(parts):
        print('\n### A: where a PyTorch AdamW step goes, 1 thread (torch_parts.py), median ms\n')
        print('| part | median | mean | p10 | p90 |\n| --- | ---: | ---: | ---: | ---: |')
        for j in map(json.loads, (l for l in open(parts) if l.startswith('{'))):
            fig(sub, 'torch_parts_' + j['part'] + '_median_ms', j['median'], parts)
            print(f"| {j['part']} | {j['median']:.2f} | {j['mean']:.2f} | {j['p10']:.2f} | {j['p90']:.2f} |")
        print(f"\nload: {load_cell(parts)}; others: {others(parts)}")


def diagnostics(sub='A-extra'):
    files = sorted(glob.glob(os.path.join(root, sub, 'diag-*.txt')))
    if not files:
        return
    print('\n### A-extra: diagnostics, PyTorch 1 thread under /usr/bin/time -v (tools/diag.sh)\n')
    print('| run | glibc malloc | AdamW median ms | S-Adam median ms | minor page faults | system s | user s '
          '| cpu calibration before/after ms |')
    print('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |')
    for f in files:
        text, t = read(f), torch_steps(f)
        g = lambda pat: re.search(pat, text)[1]
        malloc = 'never trims/unmaps' if 'MALLOC_TRIM_THRESHOLD_' in text.splitlines()[0] else 'default'
        faults = fig(sub, 'minor_page_faults', int(g(r'Minor \(reclaiming a frame\) page faults: (\d+)')), f)
        sys_s, usr_s = float(g(r'System time \(seconds\): ([\d.]+)')), float(g(r'User time \(seconds\): ([\d.]+)'))
        for o in ('adamw', 'sadam'):
            fig(sub, f'diag_torch_{o}_t1_median_ms', t[o]['median'], f, malloc=malloc)
        cal = '/'.join(re.findall(r'# cpu calibration \D*?(\d+) ms', text))
        print(f"| {os.path.basename(f)[:-4]} | {malloc} | {t['adamw']['median']:.2f} | {t['sadam']['median']:.2f} "
              f"| {faults} | {sys_s:.2f} | {usr_s:.2f} | {cal} |")


def qat_runs(folder):
    """runs of a qat/parallel/spark result folder (results.json), by optimizer"""
    res = json.load(open(os.path.join(folder, 'results.json')))
    return res, {r['optimizer']: r for r in res['runs']}


def part_b():
    d = os.path.join(root, 'B')
    rs = sorted({re.match(r'epoch-(r\d+)-', os.path.basename(f))[1] for f in glob.glob(os.path.join(d, 'epoch-r*.txt'))})
    if not rs:
        return
    print('\n## B: one epoch of S-Adam k=3 (938 steps), whole machine\n')
    print('| alt. | DL4J t1 train s | DL4J t1 eval s | DL4J t2 train s | DL4J t2 eval s | PyTorch train s '
          '| DL4J t1 / PyTorch | DL4J t2 / PyTorch | acc DL4J t1 / t2 / PyTorch | wall s t1 / t2 / PyTorch '
          '| load t1, t2, PyTorch (before/max/after) |')
    print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |')
    ratios = {'t1': [], 't2': []}
    for r in rs:
        cells, acc, wall = {}, [], []
        for t in ('t1', 't2'):
            folder = os.path.join(d, f'epoch-{r}-dl4j-{t}')
            txt = folder + '.txt'
            runs = qat_runs(folder)[1] if os.path.exists(os.path.join(folder, 'results.json')) else {}
            if 'sadam' not in runs or not runs['sadam'].get('per_epoch'):
                cells[t] = (float('nan'), float('nan')); acc.append('missing'); wall.append(header(txt)['wall'])
                continue
            s = runs['sadam']
            cells[t] = (fig('B', f'dl4j_{t}_sec_per_epoch', s['sec_per_epoch'], os.path.join(folder, 'results.json'),
                            alternation=r),
                        fig('B', f'dl4j_{t}_eval_seconds', s['per_epoch'][0]['eval_seconds'],
                            os.path.join(folder, 'results.json'), alternation=r))
            acc.append(f"{fig('B', f'dl4j_{t}_test_acc_pct', s['test_acc_pct'], os.path.join(folder, 'results.json'), alternation=r):.2f}")
            wall.append(fig('B', f'dl4j_{t}_wall_s', header(txt)['wall'], txt, alternation=r))
        tf = os.path.join(d, f'epoch-{r}-torch-fmnist.txt')
        ep = ([json.loads(l) for l in open(tf) if l.startswith('{"epoch"')] if os.path.exists(tf) else []) or [None]
        ep = ep[0]
        if ep is None:
            print(f"| {r} | {cells['t1'][0]:.2f} | | {cells['t2'][0]:.2f} | | (PyTorch run missing) | | | | | |")
            continue
        ts = fig('B', 'torch_seconds', ep['seconds'], tf, alternation=r)
        acc.append(f"{fig('B', 'torch_test_acc_pct', 100 * ep['test_acc'], tf, alternation=r):.2f}")
        wall.append(fig('B', 'torch_wall_s', header(tf)['wall'], tf, alternation=r))
        for t in ('t1', 't2'):
            ratios[t].append(fig('B', f'ratio dl4j_{t}/torch epoch', cells[t][0] / ts, tf, alternation=r))
        loads = ', '.join(load_cell(p) for p in (os.path.join(d, f'epoch-{r}-dl4j-t1.txt'),
                                                 os.path.join(d, f'epoch-{r}-dl4j-t2.txt'), tf))
        print(f"| {r} | {cells['t1'][0]:.2f} | {cells['t1'][1]:.2f} | {cells['t2'][0]:.2f} | {cells['t2'][1]:.2f} "
              f"| {ts:.2f} | {ratios['t1'][-1]:.2f} | {ratios['t2'][-1]:.2f} | {' / '.join(acc)} "
              f"| {' / '.join(f'{w:.1f}' for w in wall)} | {loads} |")
    o = sorted({others(p) for p in glob.glob(os.path.join(d, '*.txt'))} - {'-'})
    print('\nother processes >= 20% CPU during B: ' + ('; '.join(o) or '-'))


def workers_md(folder):
    """per run: LOSS_PROBES ok (every S-Adam step of every worker probed), trained/handed minibatches, steps"""
    p = os.path.join(folder, 'workers.md')
    if not os.path.exists(p):
        return {}
    text = open(p).read()
    out = {}
    for m in re.finditer(r'^\| ([^|]+?) \| ([^|]+?) \| (\d+) \| (\d+) \| ([^|]*?) *\|$', text, re.M):
        run, worker, steps, probed = m[1], m[2], int(m[3]), int(m[4])
        o = out.setdefault(run, dict(workers={}, trained=0, handed=None))
        o['workers'][worker] = (steps, probed)
        o['trained'] += steps
    for m in re.finditer(r'(\S+): the engine trained (\d+) of the (\d+) minibatches', text):
        out.setdefault(m[1], dict(workers={}, trained=int(m[2])))['handed'] = int(m[3])
    out['_warnings'] = re.findall(r'^WARNING: .*$', text, re.M)
    return out


def part_c():
    d = os.path.join(root, 'C')
    names = ['parallel-w1', 'parallel-w2', 'spark-pa-w1', 'spark-pa-w2', 'spark-pa-w2-kryo', 'spark-sharing',
             'qat-single-6400', 'qat-single']
    names = [n for n in names if recorded(os.path.join(d, n + '.txt'))]
    if not names:
        return
    print('\n## C: distributed, one epoch, seed 42 (examples/s = images trained / training seconds of the epoch)\n')
    print('| command | engine | workers (configured) | optimizer | train images | minibatches trained (handed) | train s '
          '| examples/s | Spark export s (examples/s without it) | test acc % | LOSS_PROBES ok | wall s (command) '
          '| load before/max/after |')
    print('| --- | --- | ---: | --- | ---: | --- | ---: | ---: | --- | ---: | --- | ---: | --- |')
    for n in names:
        folder, txt = os.path.join(d, n), os.path.join(d, n + '.txt')
        h = header(txt)
        rj = os.path.join(folder, 'results.json')
        if not os.path.exists(rj) or h['exit'] != 0:
            status = f"exit {h['exit']}" + ('' if os.path.exists(rj) else ', no results.json')
            fig('C', 'failure', status, txt, command=n)
            print(f"| {n} | FAILED ({status}) | | | | | | | | | | {h['wall']:.0f} | {load_cell(txt)} |")
            if not os.path.exists(rj):
                continue
        res, runs = qat_runs(folder)
        engine = res['settings'].get('engine', '?')
        short = (('Spark ' + re.search(r'local\[\d+\]', engine)[0] if 'Spark' in engine else '')
                 + (' averaging every ' + re.search(r'every (\d+)', engine)[1] if 'ParameterAveraging' in engine else '')
                 + (' gradient sharing' if 'sharing' in engine else '')
                 + (', Kryo' if 'Kryo' in engine else ', Java ser.' if 'Spark' in engine else '')
                 + ('ParallelWrapper, averaging every ' + re.search(r'every (\d+)', engine)[1]
                    if 'ParallelWrapper' in engine else '')
                 + ('none (net.fit)' if 'this JVM' in engine else '')) or engine
        nworkers = re.search(r'(\d+) workers', engine)
        nworkers = nworkers[1] if nworkers else '1'
        wk = workers_md(folder)
        images = res['settings']['train_images']
        # Spark in local mode first exports a run's minibatches to files (one SparkHadoopWriter job per fit, in
        # the order of the runs); that time is part of the epoch's training seconds
        exports = [float(x) for x in re.findall(r'Job \d+ finished: runJob at SparkHadoopWriter\.scala:\d+, took '
                                                r'([\d.]+) s', read(txt))]
        export_of = dict(zip([r['run'] for r in res['runs']], exports)) if len(exports) == len(res['runs']) else {}
        batch = res['settings']['batch']
        for opt in ('sadam', 'adamw'):
            if opt not in runs:
                continue
            r = runs[opt]
            w = wk.get(r['run'], {})
            trained = w.get('trained') or r['iterations']
            handed = w.get('handed')
            # every minibatch trained: all images (the last minibatch is smaller); else full minibatches (the
            # dropped ones are the last, so at most the 32-image last one is miscounted)
            imgs = images if trained >= res['settings']['steps_per_epoch'] else trained * batch
            sec = r['sec_per_epoch']
            src = dict(command=n, optimizer=opt)
            fig('C', 'train_seconds', sec, rj, **src)
            fig('C', 'minibatches_trained', trained, os.path.join(folder, 'workers.md') if w else rj, **src)
            eps = fig('C', 'examples_per_second', imgs / sec if sec else float('nan'), rj, **src)
            acc = fig('C', 'test_acc_pct', r['test_acc_pct'], rj, **src)
            ex = export_of.get(r['run'])
            if ex is not None:
                fig('C', 'spark_export_seconds', ex, txt, **src)
                exc = f"{ex:.1f} ({fig('C', 'examples_per_second_without_export', imgs / (sec - ex), txt, **src):.0f})"
            else:
                exc = '-'
            wcell = nworkers
            if w:
                active = sum(1 for st, _ in w['workers'].values() if st > 0)
                fig('C', 'workers_that_trained', active, os.path.join(folder, 'workers.md'), **src)
                if str(active) != nworkers:
                    wcell = f'{nworkers} ({active} trained)'
                ok = all(p == s for s, p in w['workers'].values()) if opt == 'sadam' else 'n/a (AdamW)'
                fig('C', 'loss_probes_ok', ok, os.path.join(folder, 'workers.md'), **src)
                okc = ('yes' if ok else 'NO') if opt == 'sadam' else ok
                okc += ' (' + ', '.join(f'{k}: {p}/{s}' for k, (s, p) in w['workers'].items()) + ')'
            else:
                okc = 'no engine (local qat)'
            fig('C', 'wall_s', h['wall'], txt, command=n)
            print(f"| {n} | {short} | {wcell} | {opt} | {imgs} | {trained} ({handed if handed is not None else '-'}) "
                  f"| {sec:.1f} | {eps:.0f} | {exc} | {acc:.2f} | {okc} | {h['wall']:.0f} | {load_cell(txt)} |")
        for wline in wk.get('_warnings', []):
            print(f"|   ↳ {n}: {wline} | | | | | | | | | | | | |")
    o = sorted({f'{n}: {others(os.path.join(d, n + ".txt"))}' for n in names if others(os.path.join(d, n + '.txt')) != '-'})
    print('\nother processes >= 20% CPU during C: ' + ('; '.join(o) or '-'))


if __name__ == '__main__':
    part_a()
    part_a('A-extra', 'A-extra: a fourth alternation, run after C (not in the brief)')
    diagnostics()
    part_b()
    part_c()
    log = os.path.join(root, 'load-checks.txt')
    if os.path.exists(log):
        print('\n## Load checks before each block (load-checks.txt)\n')
        print(open(log).read().rstrip())
    if json_out:
        json.dump(dict(session=os.path.basename(os.path.abspath(root)), figures=figures), open(json_out, 'w'), indent=1)
