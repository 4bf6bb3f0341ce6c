"""The POSIX sh dump script (docs/dump-layout.md) that ``driftctl dump-script`` prints; kubectl + ssh only."""

from __future__ import annotations

from itertools import groupby

from driftctl import __version__
from driftctl.dump_layout import NODE_COMMANDS, NodeCommand

HEADER = r"""#!/bin/sh
# driftctl dump script (driftctl @VERSION@): writes a dump directory for
# `driftctl collect --from-dump DIR`, using only kubectl and ssh. Read it before you run it:
# it only reads (kubectl get/version, and the fixed node commands below over ssh).
#
# usage: sh dump.sh OUTDIR [--context CTX] [--kubeconfig FILE] [--namespace NS]...
#                          [--nodes "n1 n2 | name=host ..."] [--ssh-user USER] [--no-nodes]
# env:   KUBECONFIG, KUBECTL (default kubectl), KUBECTL_TIMEOUT (per API request, default 60s),
#        SSH (default ssh), DRIFTCTL_SSH_OPTS (extra ssh options, space-separated,
#        e.g. "-i /path/key -p 2222")
# Exit:  0 all written, 1 some command failed (its .rc/.stderr are in OUTDIR), 2 usage, 3 OUTDIR.
set -u
umask 077

usage() {
  echo "usage: sh dump.sh OUTDIR [--context CTX] [--kubeconfig FILE] [--namespace NS]... [--nodes \"n1 n2\"] [--ssh-user USER] [--no-nodes]" >&2
  exit 2
}

[ $# -ge 1 ] || usage
case $1 in -*) usage ;; esac
OUT=$1
shift
CONTEXT=""
NAMESPACES=""
NODES=""
NODES_GIVEN=0
NO_NODES=0
SSH_USER=""
KUBECTL=${KUBECTL:-kubectl}
KUBECTL_TIMEOUT=${KUBECTL_TIMEOUT:-60s}
SSH=${SSH:-ssh}
while [ $# -gt 0 ]; do
  case $1 in
    --context) [ $# -ge 2 ] || usage; CONTEXT=$2; shift 2 ;;
    --kubeconfig) [ $# -ge 2 ] || usage; KUBECONFIG=$2; export KUBECONFIG; shift 2 ;;
    --namespace|-n) [ $# -ge 2 ] || usage; NAMESPACES="$NAMESPACES $2"; shift 2 ;;
    --nodes) [ $# -ge 2 ] || usage; NODES=$2; NODES_GIVEN=1; shift 2 ;;
    --ssh-user) [ $# -ge 2 ] || usage; SSH_USER=$2; shift 2 ;;
    --no-nodes) NO_NODES=1; shift ;;
    *) usage ;;
  esac
done

mkdir -p "$OUT/kubernetes" "$OUT/nodes" || { echo "dump.sh: cannot create $OUT" >&2; exit 3; }
FAILED=0

# Every API request ends: kubectl's own default is to wait for ever on a server that drips.
kc() {
  if [ -n "$CONTEXT" ]; then
    "$KUBECTL" --request-timeout "$KUBECTL_TIMEOUT" --context "$CONTEXT" "$@"
  else
    "$KUBECTL" --request-timeout "$KUBECTL_TIMEOUT" "$@"
  fi
}

# save FILE CMD...: stdout to FILE; FILE.stderr and FILE.rc only when the exit status is not 0.
save() {
  save_file=$1
  shift
  "$@" >"$save_file" 2>"$save_file.stderr"
  save_rc=$?
  if [ "$save_rc" -eq 0 ]; then
    rm -f "$save_file.stderr" "$save_file.rc"
  else
    echo "$save_rc" >"$save_file.rc"
    FAILED=$((FAILED + 1))
  fi
  return "$save_rc"
}

# merge_lists FILE...: the items of several `kubectl get -o json` Lists as one List.
merge_lists() {
  awk '
    BEGIN { print "{"; print "    \"apiVersion\": \"v1\","; print "    \"items\": ["; n = 0 }
    FNR == 1 { inside = 0 }
    inside && /^    \]/ { inside = 0; next }
    inside { if (!seen) { if (n > 0) print "        ,"; seen = 1; n++ } print; next }
    /^    "items": \[$/ { inside = 1; seen = 0; next }
    END {
      print "    ],"; print "    \"kind\": \"List\","; print "    \"metadata\": {"
      print "        \"resourceVersion\": \"\""; print "    }"; print "}"
    }' "$@"
}

# list FILE RESOURCES [ARGS...]: cluster-wide, or one list per --namespace merged into FILE.
list() {
  list_file=$1
  list_res=$2
  shift 2
  if [ -z "$NAMESPACES" ]; then
    save "$list_file" kc get "$list_res" -A -o json "$@"
    return
  fi
  list_parts=""
  list_rc=0
  for ns in $NAMESPACES; do
    save "$list_file.$ns.part" kc get "$list_res" -n "$ns" -o json "$@" || list_rc=1
    list_parts="$list_parts $list_file.$ns.part"
  done
  if [ "$list_rc" -eq 0 ]; then
    # shellcheck disable=SC2086
    merge_lists $list_parts >"$list_file"
    # shellcheck disable=SC2086
    rm -f $list_parts
  else
    for ns in $NAMESPACES; do
      if [ -f "$list_file.$ns.part.rc" ]; then
        mv "$list_file.$ns.part.rc" "$list_file.rc"
        mv "$list_file.$ns.part.stderr" "$list_file.stderr"
      fi
      rm -f "$list_file.$ns.part" "$list_file.$ns.part.rc" "$list_file.$ns.part.stderr"
    done
    : >"$list_file"
  fi
}

K="$OUT/kubernetes"
save "$K/version.json" kc version -o json
save "$K/namespace-kube-system.json" kc get namespace kube-system -o json
save "$K/nodes.json" kc get nodes -o json
list "$K/workloads.json" deployments,statefulsets,daemonsets
list "$K/pods.json" pods
list "$K/helm-secrets.json" secrets -l owner=helm

if [ "$NO_NODES" -eq 1 ]; then
  NODES=""
elif [ "$NODES_GIVEN" -eq 0 ]; then
  # Default: every Kubernetes node, reached at its InternalIP, stored under its node name.
  NODES=$(kc get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"="}{.status.addresses[?(@.type=="InternalIP")].address}{" "}{end}' 2>/dev/null) || NODES=""
fi

# node_run DIR HOST FILE COMMAND: one fixed command on one node over ssh (host keys verified).
node_run() {
  # shellcheck disable=SC2086
  save "$1/$3" "$SSH" -n -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=10 \
    ${DRIFTCTL_SSH_OPTS:-} "${SSH_USER:+$SSH_USER@}$2" "$4"
}

dump_node() {
  d="$OUT/nodes/$1"
  mkdir -p "$d" || return
@NODE_BODY@
}

for entry in $NODES; do
  case $entry in
    *=*) name=${entry%%=*}; host=${entry#*=} ;;
    *) name=$entry; host=$entry ;;
  esac
  [ -n "$host" ] || host=$name
  case $name in
    ""|.*|*/*) echo "dump.sh: skipping bad node name '$name'" >&2; continue ;;
  esac
  dump_node "$name" "$host"
done

if [ "$FAILED" -gt 0 ]; then
  echo "dump.sh: $FAILED command(s) failed; see the .rc and .stderr files in $OUT" >&2
  exit 1
fi
echo "dump.sh: wrote $OUT" >&2
exit 0
"""


def _sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _group(commands: list[NodeCommand]) -> str:
    """Fallbacks: the first command of a group that succeeds wins, the rest are not run."""
    lines = [
        f"  # {commands[0].group}: {' || '.join(c.command for c in commands)}",
        "  before=$FAILED",
    ]
    for i, cmd in enumerate(commands):
        keyword = "if" if i == 0 else "elif"
        run = f'node_run "$d" "$2" {_sh_quote(cmd.file)} {_sh_quote(cmd.command)}'
        # A fallback that worked makes the group a success: earlier failures stay as evidence.
        lines += [f"  {keyword} {run}; then", "    FAILED=$before"]
    lines += ["  else", "    FAILED=$((before + 1))", "  fi"]
    return "\n".join(lines)


def render_dump_script() -> str:
    """The script text; the node part is rendered from ``NODE_COMMANDS``, never from input."""
    groups = [list(cmds) for _, cmds in groupby(NODE_COMMANDS, key=lambda c: c.group)]
    body = "\n".join(_group(g) for g in groups)
    return HEADER.replace("@VERSION@", __version__).replace("@NODE_BODY@", body)
