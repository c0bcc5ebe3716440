#!/usr/bin/env bash
# Set up the kit's Python environment (.venv, Python 3.11) and run one of its jobs:
#   bash kit.sh test              install everything, then run the test suite
#   bash kit.sh student [FOLDER]  install everything, then start JupyterLab for a student
#                                 (utils/student/lab.sh: a copy of the released assignment in FOLDER)
#   bash kit.sh ARGS              install everything, then run `python -m utils ARGS`
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
# Debian packages, installed where we can (as root, with apt-get): bubblewrap, which grading runs
# student code in (utils/engine/sandbox.py), and for the tests Chromium, which the browser tests
# drive through Playwright (tests/jupyter_browser.py).
missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
if [ "${1:-}" = "test" ] && [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
case "${1:-}" in
  test)
    shift
    exec .venv/bin/python -m pytest "$@"
    ;;
  student)
    shift
    PATH="$PWD/.venv/bin:$PATH" exec bash utils/student/lab.sh "$@"
    ;;
esac
exec .venv/bin/python -m utils "$@"
