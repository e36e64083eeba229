#!/usr/bin/env bash
# Sets up everything (scripts/setup.sh --test) and runs every check and test.
# Extra arguments go to pytest, e.g. scripts/test.sh tests/storage -x
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PYTHONHASHSEED=0
echo "== ruff"; .venv/bin/ruff check .
echo "== mypy --strict"; .venv/bin/mypy
echo "== import-linter"; .venv/bin/lint-imports
echo "== pytest"; .venv/bin/python -m pytest "$@"
