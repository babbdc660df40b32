#!/bin/sh
# Brings back the raw files of docs/results that are no longer in the working tree (console logs with their load
# samples, per-step timing CSVs, per-iteration CSVs, plots the docs do not show), from the last commit that held them,
# as untracked files next to the kept ones (kept files are not overwritten). Then the sessions' summarise scripts run
# as they did. Usage, from anywhere in the repository:
#   docs/results/restore-raw.sh                       # every folder
#   docs/results/restore-raw.sh docs/results/perf-2026-12-02
set -e
COMMIT=f8bcbb3   # the last commit with every raw file (docs/results/README.md, "Raw files")
cd "$(git rev-parse --show-toplevel)"
if ! git cat-file -e "$COMMIT^{commit}" 2>/dev/null; then
  echo "commit $COMMIT is not in this clone (a shallow clone?): run 'git fetch --unshallow' first" >&2
  exit 1
fi
git archive "$COMMIT" "${1:-docs/results}" | tar -x --skip-old-files
echo "restored the raw files of ${1:-docs/results} from $COMMIT (untracked)"
