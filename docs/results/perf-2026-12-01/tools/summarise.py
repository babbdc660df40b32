"""Prints the tables of docs/benchmarks.md section 0 from the raw files of this folder (the files are the data, the
tables a view). usage: python3 summarise.py [--json FILE] [FOLDER]   (FOLDER default: the folder above this script;
--json also writes every figure with the file it came from). The raw files are in the repository's history: see
../README.md ("Raw files")."""
import csv, glob, json, os, re, statistics, sys

args = sys.argv[1:]
json_out = None
if args[:1] == ['--json']:
    json_out, args = args[1], args[2:]
root = args[0] if args else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
figures = []  # every figure printed, with its source file
if not os.path.exists(os.path.join(root, '1a-one-thread', 'r1-dl4j-helpers-on.csv')):
    sys.exit('The raw files of this session are not in the working tree (they live in the repository\'s history): '
             'run docs/results/restore-raw.sh first. Their output is recorded in ../README.md and ../summary.json.')


def fig(part, name, value, path, **keys):
    figures.append(dict(part=part, figure=name, value=value, file=os.path.relpath(path, root), **keys))
    return value


def dl4j_medians(path):
    """median step ms per variant of a `bench --csv` file"""
    steps = {}
    for row in csv.DictReader(open(path)):
        steps.setdefault(row['variant'], []).append(float(row['step_ms']))
    return {k: statistics.median(v) for k, v in steps.items()}


def torch_medians(path):
    """median step ms per optimizer of a torch_steps.py output"""
    return {j['opt']: j['median'] for j in map(json.loads, (l for l in open(path) if l.startswith('{')))
            if 'median' in j}


def load(path):
    """the 1-minute load average before and after a recorded command"""
    text = open(path).read()
    return '/'.join(re.findall(r'loadavg (?:before|after): ([\d.]+)', text))


def one_thread(session):
    rows = []
    for r in sorted({re.match(r'(r\d+)', os.path.basename(f)).group(1)
                     for f in glob.glob(os.path.join(root, session, 'r*-dl4j-helpers-on.csv'))}):
        files = {k: os.path.join(root, session, r + suffix) for k, suffix in
                 [('on', '-dl4j-helpers-on.csv'), ('off', '-dl4j-helpers-off.csv'), ('pt', '-torch-t1.txt')]}
        on = dl4j_medians(files['on'])
        off = dl4j_medians(files['off'])
        pt = torch_medians(files['pt'])
        for key, res in [('on', on), ('off', off), ('pt', pt)]:
            for opt, v in res.items():
                fig(session, {'on': 'dl4j_helpers_on', 'off': 'dl4j_helpers_off', 'pt': 'torch_t1'}[key] + '_'
                    + opt + '_median_ms', v, files[key], alternation=r)
        rows.append((r, on, off, pt, load(os.path.join(root, session, r + '-dl4j-helpers-on.txt'))))
    print('| alternation | DL4J AdamW | DL4J S-Adam k=3 | PyTorch AdamW | PyTorch S-Adam k=3 | AdamW x PyTorch '
          '| S-Adam x PyTorch | DL4J helpers off: AdamW, S-Adam | oneDNN gain (AdamW) | load before/after |')
    print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
    for r, on, off, pt, ld in rows:
        print(f"| {r} | {on['adamw']:.1f} | {on['sadam-k3']:.1f} | {pt['adamw']:.2f} | {pt['sadam']:.2f} "
              f"| {on['adamw'] / pt['adamw']:.2f} | {on['sadam-k3'] / pt['sadam']:.2f} "
              f"| {off['adamw']:.1f}, {off['sadam-k3']:.1f} | {off['adamw'] / on['adamw']:.1f}x | {ld} |")


def clean_clone(session):
    for f in sorted(glob.glob(os.path.join(root, session, '*.txt'))):
        wall = re.search(r'# wall seconds: ([\d.]+)', open(f).read())
        fig(session, 'wall_seconds', float(wall.group(1)), f, command=os.path.basename(f))
        print(f"- {os.path.basename(f)}: {float(wall.group(1)):.0f} s wall, load before/after {load(f)}")


if __name__ == '__main__':
    print('## 1a: one thread, median ms per step\n')
    one_thread('1a-one-thread')
    print('\n## 1d: the README main job from a clean clone\n')
    clean_clone('1d-clean-clone')
    if json_out:
        with open(json_out, 'w') as out:
            json.dump(dict(session='perf-2026-12-01', figures=figures), out, indent=1)
