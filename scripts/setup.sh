#!/usr/bin/env bash
# Installs what yuqing needs on a fresh Debian machine with Python 3.11:
#   system packages (PostgreSQL for tests and deployments; Chromium and CJK fonts for browser tests)
#   and the virtualenv .venv with the project and its pinned ranges.
# Usage: scripts/setup.sh [--test]   (--test also installs the test-only system packages)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "需要 root 权限安装系统软件包: $* (need root to install system packages)" >&2; return 1; fi
}

missing=()
if [[ $want_test -eq 1 ]]; then
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  [[ -x /usr/bin/chromium ]] || missing+=(chromium chromium-driver)
  fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk fontconfig)
fi
if (( ${#missing[@]} )); then
  echo "安装系统软件包 / installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.yuqing-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  echo "安装 Python 依赖 / installing Python dependencies (first run takes a few minutes)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
  echo "$want" > "$stamp"
fi
