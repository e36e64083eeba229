#!/usr/bin/env bash
# Sets up everything (scripts/setup.sh) and runs the whole system on its embedded default:
# SQLite under ./var/, the bundled sample config (示例市/示例区, sample data), sample sources replayed
# on 127.0.0.1, the scheduler and the dashboard. Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/yuqing --config demo/yuqing.toml run --demo "$@"
