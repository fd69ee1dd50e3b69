#!/usr/bin/env bash
# Set up t2ilab for development on a fresh machine (only package registries need to be reachable):
#   - a virtual environment ($T2I_VENV, default .venv) with `pip install -e ".[dev]"` in ONE pip command
#     (nbdev 2 works only with fastcore<2 execnb<0.2 ghapi<2 resolved together; see ../shared/TOOLCHAIN.md);
#   - Debian's dataset-fashion-mnist (the real data set that runs offline), via apt-get when missing;
#   - with --with-browser, also a headless Chromium for the docs preview test.
# Idempotent: when nothing changed since the last run it only checks and returns in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${T2I_VENV:-.venv}
PYTHON=${PYTHON:-python3}
WITH_BROWSER=0
for arg in "$@"; do
  case "$arg" in
    --with-browser) WITH_BROWSER=1 ;;
    *) echo "usage: bash scripts/setup.sh [--with-browser]" >&2; exit 2 ;;
  esac
done

apt_install() {  # apt_install PKG...: best effort; a machine without apt gets a note, not a failure
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "NOTE: no apt-get here; install $* yourself if you need it (see DEVELOPING.md). Continuing."; return 0
  fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then
      sudo="sudo"; [ -t 0 ] || sudo="sudo -n"
    else
      echo "NOTE: not root and no sudo: could not apt-get install $*. Continuing without it."; return 0
    fi
  fi
  echo "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -q "$@" >/tmp/t2ilab-apt.log 2>&1; then
    $sudo apt-get update -q >>/tmp/t2ilab-apt.log 2>&1 || true
    $sudo apt-get install -y -q "$@" >>/tmp/t2ilab-apt.log 2>&1 \
      || { echo "NOTE: apt-get could not install $* (log: /tmp/t2ilab-apt.log). Continuing without it."; return 0; }
  fi
}

# 1. the virtual environment
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.t2ilab-installed"
want=$(cat settings.ini setup.py | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$VENV/bin/python" -c 'import t2ilab, nbdev' 2>/dev/null; then
  echo "$VENV: t2ilab[dev] already installed"
else
  echo "pip install -e .[dev] into $VENV (a few minutes the first time)"
  # (the filter only hides this machine's pip-config noise about missing local index folders)
  "$VENV/bin/python" -m pip install -q -e ".[dev]" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
  echo "$want" > "$stamp"
fi

# 2. Fashion-MNIST from Debian (the loaders also accept a folder of your own; see nbs/01_data)
if [ -d /usr/share/datasets/fashion-mnist ]; then
  echo "Fashion-MNIST: /usr/share/datasets/fashion-mnist"
else
  apt_install dataset-fashion-mnist
fi

# 3. a browser for tests/test_docs_preview.py (skipped without one)
if [ "$WITH_BROWSER" = 1 ]; then
  if command -v chromium >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; then
    echo "browser: $(command -v chromium || command -v google-chrome)"
  else
    apt_install chromium
  fi
fi
echo "setup done: $VENV"
