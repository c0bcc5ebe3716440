#!/usr/bin/env bash
# Set up the kit's Python environment (.venv, Python 3.11) and run one of its jobs:
#   bash kit.sh test    install everything, then run the test suite
#   bash kit.sh ARGS    install everything, then run `python -m utils ARGS`
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
# Grading runs student code inside bubblewrap (utils/engine/sandbox.py): install it where we can.
if ! command -v bwrap >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null
fi
if [ "${1:-}" = "test" ]; then
  shift
  exec .venv/bin/python -m pytest "$@"
fi
exec .venv/bin/python -m utils "$@"
