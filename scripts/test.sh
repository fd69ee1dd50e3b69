#!/usr/bin/env bash
# Run every test of t2ilab: (1) nbdev_export + nbdev_clean must change nothing (the exported package and the
# cleaned notebooks are committed), (2) the notebooks under nbdev_test, (3) the pytest tests in tests/.
# Uses $T2I_VENV (default .venv), as set up by scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${T2I_VENV:-.venv}
BIN="$(cd "$VENV/bin" && pwd)" || { echo "no $VENV: run bash scripts/setup.sh first" >&2; exit 1; }
export PATH="$BIN:$PATH"

t0=$SECONDS; timings=()
phase() { timings+=("$(printf '%-32s %4ds' "$1" $((SECONDS - t0)))"); t0=$SECONDS; }

# 1. export and clean change nothing. Compared by content before/after (not `git diff`), so the check also
#    works in a working tree with uncommitted edits; in a clean clone it is the same as "no git diff".
snapshot() {
  find nbs t2ilab -type f \( -name '*.ipynb' -o -name '*.py' \) \
    -not -path '*/.ipynb_checkpoints/*' -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum
}
before=$(snapshot)
nbdev_export
nbdev_clean
changed=$(diff <(echo "$before") <(snapshot) | sed -n 's/^[<>] [0-9a-f]*  //p' | sort -u || true)
if [ -n "$changed" ]; then
  echo "FAILED: nbdev_export / nbdev_clean changed these files (they are now fixed in the working tree;" >&2
  echo "review and commit them):" >&2
  echo "$changed" | sed 's/^/  /' >&2
  exit 1
fi
echo "nbdev_export + nbdev_clean: no changes"
phase "export/clean check"

# 2. the notebooks (cells flagged slow/gpu/download are skipped; see tst_flags in settings.ini)
OMP_NUM_THREADS=1 nbdev_test --n_workers 2
phase "nbdev_test"

# 3. the package tests (README sync, docs preview, CLI, ...)
OMP_NUM_THREADS=1 python -m pytest -q tests/
phase "pytest"

printf '%s\n' "timings:" "${timings[@]/#/  }"
