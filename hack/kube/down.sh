#!/usr/bin/env bash
# down.sh [--purge]
#
# Stops the test cluster that up.sh started and cleans up after its real
# node; safe to run when nothing runs. The etcd data stays, so the next
# up.sh starts the same cluster again (in seconds), unless:
#
# --purge  also delete the run dir ($UPDRAFT_KUBE_DIR, default /tmp/updraft-kube:
#          etcd data, logs, node state) and the real node's network bridge.
#          The cache (binaries, images, certificates) always stays.
#
# Only processes of this cluster are signalled: those named by its pid files,
# and, should a pid file be lost, processes of the same programs whose
# command line names this run dir.
set -euo pipefail

SCRIPT_NAME=down
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,15s/^# \{0,1\}//p' "$0"; }

# Stopped in three waves: the API's clients, the API server, etcd. Stopping
# the last two together costs ~10 s: the API server's shutdown still writes
# to etcd, while etcd's graceful stop waits for the API server's watches.
# containerd is handled separately, after its containers.
WAVES=("kwok kube-scheduler kube-controller-manager kubelet" kube-apiserver etcd)

# strays NAME...: pids of processes running one of the programs NAME whose
# command line mentions the run dir, but whose pid file is gone.
strays() {
  local p exe cmd want
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    exe=${exe% (deleted)}
    for want in "$@"; do
      [[ ${exe##*/} == "$want" ]] || continue
      cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
      [[ $cmd == *"$RUN_DIR/"* ]] && echo "${p#/proc/}"
    done
  done
}

# stop_pids NAME=PID...: SIGTERM to all, SIGKILL to those alive after 15 s.
# (They need well under a second; the API server about one.)
stop_pids() {
  local np left i
  for np in "$@"; do kill -TERM "${np#*=}" 2>/dev/null || true; done
  for ((i = 0; i < 150; i++)); do
    left=0
    for np in "$@"; do alive "${np#*=}" && left=1; done
    ((left)) || break
    sleep 0.1
  done
  for np in "$@"; do
    if alive "${np#*=}"; then
      kill -KILL "${np#*=}" 2>/dev/null || true
      log "${np%%=*} (pid ${np#*=}) did not stop in 15s: killed"
    else
      log "stopped ${np%%=*} (pid ${np#*=})"
    fi
  done
}

# The kubelet tears a pod down properly (containers, sandbox, CNI address,
# network namespace, mounts) when the pod is deleted; stopping it first
# would leave all that behind. So: delete the real node's pods and wait
# until containerd runs no more tasks.
drain_real_node() {
  pid_of kubelet >/dev/null && pid_of kube-apiserver >/dev/null || return 0
  local kubectl
  kubectl=$(kubectl_bin)
  log "deleting the pods of $REAL_NODE_NAME"
  "$kubectl" --kubeconfig "$KUBECONFIG_PATH" delete pods --all-namespaces \
    --field-selector "spec.nodeName=$REAL_NODE_NAME" --grace-period=1 --wait=false \
    >>"$LOG_DIR/down.log" 2>&1 || log "warning: deleting pods failed, see $LOG_DIR/down.log"
  local deadline=$(($(date +%s) + 30))
  while [[ -n $(ctr_node tasks ls -q 2>/dev/null) ]]; do
    if (($(date +%s) >= deadline)); then
      log "warning: containers still run after 30s; they are killed below"
      break
    fi
    sleep 0.2
  done
}

# Kills what containerd still runs (kubelet gone, or drain timed out), then
# containerd itself and any shim left behind.
stop_containerd() {
  local pid t i
  if pid=$(pid_of containerd); then
    for t in $(ctr_node tasks ls -q 2>/dev/null); do
      ctr_node tasks kill --all --signal SIGKILL "$t" >/dev/null 2>&1 || true
      for ((i = 0; i < 50; i++)); do
        ctr_node tasks delete "$t" >/dev/null 2>&1 && break
        sleep 0.1
      done
    done
    stop_pids "containerd=$pid"
  fi
  rm -f "$PID_DIR/containerd.pid"
  local s=()
  for pid in $(strays containerd containerd-shim-runc-v2); do s+=("stray-$(readlink /proc/"$pid"/exe | xargs basename)=$pid"); done
  ((${#s[@]} == 0)) || stop_pids "${s[@]}"
}

# Mounts the kubelet and containerd made under the run dir (volumes, rootfs,
# shm), deepest first.
unmount_all() {
  local m n=0
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "warning: could not unmount $m"
    n=$((n + 1))
  done < <(awk -v p="$RUN_DIR/" 'index($2, p) == 1 {print $2}' /proc/self/mounts | sort -r)
  ((n == 0)) || log "unmounted $n mounts under $RUN_DIR"
}

main() {
  local purge=0
  while (($#)); do
    case $1 in
    --purge) purge=1 ;;
    -h | --help) usage && exit 0 ;;
    *) usage >&2 && die "unknown argument: $1" ;;
    esac
    shift
  done
  if [[ ! -d $RUN_DIR ]]; then
    log "nothing to stop: no $RUN_DIR"
    return 0
  fi
  mkdir -p "$LOG_DIR" "$PID_DIR"
  exec 8>"$RUN_DIR/.lock"
  flock 8

  drain_real_node

  local wave name pid stop
  for wave in "${WAVES[@]}"; do
    stop=()
    for name in $wave; do
      if pid=$(pid_of "$name"); then stop+=("$name=$pid"); fi
    done
    # shellcheck disable=SC2086 # $wave is a list of names
    for pid in $(strays $wave); do
      [[ " ${stop[*]} " == *"=$pid "* ]] || stop+=("stray-$(readlink /proc/"$pid"/exe | xargs basename)=$pid")
    done
    ((${#stop[@]} == 0)) || stop_pids "${stop[@]}"
    for name in $wave; do rm -f "$PID_DIR/$name.pid"; done
  done

  stop_containerd
  unmount_all

  if ((purge)); then
    case $RUN_DIR in /tmp | /tmp/ | / | "" | "$HOME") die "refusing to purge $RUN_DIR" ;; esac
    if ip link show "$CNI_BRIDGE" >/dev/null 2>&1; then
      ip link delete "$CNI_BRIDGE" || log "warning: could not delete the bridge $CNI_BRIDGE"
    fi
    exec 8>&-
    rm -rf "$RUN_DIR"
    log "purged $RUN_DIR"
  fi
  log "stopped"
}

main "$@"
exit
