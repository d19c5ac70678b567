# shellcheck shell=bash disable=SC2034 # the variables are used by the scripts that source this
# Shared by up.sh, down.sh, smoke.sh and image.sh: where things live, which
# versions are built, the fixed ports, and small helpers. Sourced, not run.
#
# Two directories:
#   cache  ${UPDRAFT_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/updraft-kube}
#          binaries (one directory per component and version), the wrapper Go
#          modules they are built from, build logs, certificates, image tarballs.
#          Slow to make (the first build takes 12-20 minutes), kept between runs.
#   run    ${UPDRAFT_KUBE_DIR:-/tmp/updraft-kube}
#          etcd data, logs, pid files, kubeconfig, real-node state. Cheap;
#          `down.sh --purge` removes it.
#
# Ports are fixed (a test cluster per machine), but differ from Kubernetes'
# defaults so that this cluster does not collide with another one started the
# usual way on the same machine. Each can be overridden from the environment.

KUBE_VERSION=v1.35.4
ETCD_VERSION=v3.6.5
KWOK_VERSION=v0.8.0

KUBE_HACK=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$KUBE_HACK/../.." && pwd)

CACHE_DIR=${UPDRAFT_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/updraft-kube}
RUN_DIR=${UPDRAFT_KUBE_DIR:-/tmp/updraft-kube}

KUBE_BIN=$CACHE_DIR/bin/kubernetes-$KUBE_VERSION
ETCD_BIN=$CACHE_DIR/bin/etcd-$ETCD_VERSION
KWOK_BIN=$CACHE_DIR/bin/kwok-$KWOK_VERSION
TOOLS_BIN=$CACHE_DIR/bin/tools # imgtool and pause, rebuilt from hack/kube/imgtool when it changes
PKI_DIR=$CACHE_DIR/pki
IMAGES_DIR=$CACHE_DIR/images

LOG_DIR=$RUN_DIR/logs
PID_DIR=$RUN_DIR/pids
NODE_DIR=$RUN_DIR/node # containerd + kubelet state of the real node
KUBECONFIG_PATH=$RUN_DIR/kubeconfig
CONTAINERD_SOCK=$NODE_DIR/containerd/containerd.sock

ETCD_PORT=${UPDRAFT_KUBE_ETCD_PORT:-12379}
ETCD_PEER_PORT=${UPDRAFT_KUBE_ETCD_PEER_PORT:-12380}
APISERVER_PORT=${UPDRAFT_KUBE_APISERVER_PORT:-16443}
KCM_PORT=${UPDRAFT_KUBE_KCM_PORT:-20257}
SCHEDULER_PORT=${UPDRAFT_KUBE_SCHEDULER_PORT:-20259}
KWOK_PORT=${UPDRAFT_KUBE_KWOK_PORT:-20247}
KUBELET_PORT=${UPDRAFT_KUBE_KUBELET_PORT:-20250}
KUBELET_HEALTHZ_PORT=${UPDRAFT_KUBE_KUBELET_HEALTHZ_PORT:-20248}
APISERVER_URL=https://127.0.0.1:$APISERVER_PORT

# Nodes. Every node carries the label NODE_KIND_KEY=<kind> and the taint
# NODE_KIND_KEY=<kind>:NoSchedule, so a pod lands on a node only when it asks
# for that kind: nodeSelector {updraft.dev/node-kind: kwok|real} plus a
# toleration for the key (operator Exists tolerates both kinds).
NODE_KIND_KEY=updraft.dev/node-kind
KWOK_NODE_COUNT=${UPDRAFT_KUBE_KWOK_NODES:-2}
KWOK_NODE_PREFIX=kwok-node- # kwok-node-0, kwok-node-1, ...
REAL_NODE_NAME=real-node

# Images of the real node, imported into containerd's k8s.io namespace. Pods
# must use imagePullPolicy: Never (or IfNotPresent): there is no registry.
# The updraft.local/ prefix keeps containerd from rewriting the names to
# docker.io/... and cannot be pulled from anywhere by mistake.
PAUSE_IMAGE=updraft.local/pause:1
BUSYBOX_IMAGE=updraft.local/busybox:1
UPDRAFT_IMAGE=updraft.local/updraft:dev

# The real node's pod network: a bridge and a subnet of its own.
CNI_BRIDGE=updraft-kube0
POD_SUBNET=10.89.0.0/16
SERVICE_CIDR=10.0.0.0/24

T0=${T0:-$(date +%s%N)}
SCRIPT_NAME=${SCRIPT_NAME:-$(basename "$0" .sh)}

log() {
  local ms=$((($(date +%s%N) - T0) / 1000000))
  printf '[kube/%s %3d.%03ds] %s\n' "$SCRIPT_NAME" $((ms / 1000)) $((ms % 1000)) "$*" >&2
}
die() {
  log "ERROR: $*"
  exit 1
}
# fail_with_log WHAT LOGFILE: the last lines of a log, then die naming it.
fail_with_log() {
  if [[ -f $2 ]]; then
    echo "----- last lines of $2 -----" >&2
    tail -n 25 "$2" >&2
    echo "-----" >&2
  fi
  die "$1 failed; full log: $2"
}

# alive PID: the process exists and is not a zombie. Our daemons outlive
# up.sh, so their parent is init, which may take seconds to reap them; to
# `kill -0` a zombie is still alive.
alive() {
  local state
  state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) && [[ -n $state && $state != Z ]]
}

# pid_of NAME prints the pid recorded for a component if that process is still
# alive and still runs a binary called NAME (pids are reused; a stale pid file
# must not make us think a component runs, nor make down.sh kill a stranger).
pid_of() {
  local f=$PID_DIR/$1.pid pid exe
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  exe=${exe% (deleted)} # the binary was rebuilt while running
  [[ ${exe##*/} == "$1" ]] || return 1
  echo "$pid"
}

# kubectl from the cache (same minor version as the server); the one in PATH
# only if the cache has none.
kubectl_bin() {
  if [[ -x $KUBE_BIN/kubectl ]]; then
    echo "$KUBE_BIN/kubectl"
  elif command -v kubectl >/dev/null; then
    command -v kubectl
  else
    die "no kubectl: neither $KUBE_BIN/kubectl (built by up.sh) nor one in PATH"
  fi
}

# ctr talking to the real node's containerd, in the namespace the CRI uses.
ctr_node() {
  ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"
}

# import_image TAR: loads an image tarball (docker-archive or OCI layout) into
# the real node's containerd, where the kubelet finds it by name. Re-importing
# an unchanged image is cheap; a new image under the same name replaces it.
import_image() {
  [[ -f $1 ]] || die "no image tarball $1"
  ctr_node version >/dev/null 2>&1 ||
    die "the real node's containerd does not answer on $CONTAINERD_SOCK; start it with hack/kube/up.sh --real-node"
  local out
  out=$(ctr_node images import "$1" 2>&1) || die "ctr images import $1 failed: $out"
  log "imported $1: $(awk '/^unpacking /{print $2}' <<<"$out" | tr '\n' ' ')"
}
