#!/usr/bin/env bash
# smoke.sh KUBECONFIG
#
# Proves that a cluster started by up.sh does what the Kubernetes executor's
# tests rely on, in a namespace of its own that it deletes at the end (kept
# on failure when SMOKE_KEEP=1):
#   - a new namespace gets its "default" ServiceAccount (controller-manager)
#   - simulated pods on the KWOK nodes: exit code 0 -> Succeeded; exit code 3
#     -> Failed with exit code 3, reason and message; waiting-reason
#     ImagePullBackOff -> stays Pending with that reason; kubectl logs through
#     a KWOK Logs object
#   - when the real node is up: a busybox pod prints a line (kubectl logs
#     reads it) and exits 42 with a termination message
#   - namespace deletion (namespace controller, garbage collection)
set -euo pipefail

SCRIPT_NAME=smoke
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export KUBECONFIG=${1:?usage: $0 KUBECONFIG}
[[ -f $KUBECONFIG ]] || die "no kubeconfig at $KUBECONFIG"
KUBECTL=$(kubectl_bin)
NS=smoke-$(date +%s)-$RANDOM
LOGFILE=$(mktemp "${TMPDIR:-/tmp}/updraft-kube-smoke.XXXXXX")

k() { "$KUBECTL" "$@"; }
ok() { log "ok   $*"; }

cleanup() {
  local rc=$?
  if ((rc != 0)); then
    log "FAILED; pods of $NS:"
    k -n "$NS" get pods -o wide >&2 2>/dev/null || true
    if [[ ${SMOKE_KEEP:-0} == 1 ]]; then
      log "namespace $NS kept (SMOKE_KEEP=1)"
      return
    fi
  fi
  k delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  rm -f "$LOGFILE"
}
trap cleanup EXIT

# jp POD JSONPATH: one field of a pod.
jp() { k -n "$NS" get pod "$1" -o "jsonpath=$2"; }

# wait_for DESCRIPTION SECONDS CMD...: polls until CMD succeeds.
wait_for() {
  local what=$1 deadline=$(($(date +%s) + $2))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if (($(date +%s) >= deadline)); then
      k -n "$NS" get pods -o yaml >&2 || true
      die "timed out waiting for: $what"
    fi
    sleep 0.2
  done
}
phase_is() { [[ $(jp "$1" '{.status.phase}') == "$2" ]]; }
expect() { # DESCRIPTION GOT WANT
  [[ $2 == "$3" ]] || die "$1: got '$2', want '$3'"
}

# A pod on one kind of node: nodeSelector + toleration of that kind's taint.
pod() { # NAME KIND IMAGE ANNOTATIONS-YAML-FLOW [EXTRA container YAML lines...]
  local name=$1 kind=$2 image=$3 ann=$4
  shift 4
  cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
  namespace: $NS
  annotations: $ann
spec:
  restartPolicy: Never
  nodeSelector: {$NODE_KIND_KEY: $kind}
  tolerations: [{key: $NODE_KIND_KEY, operator: Exists, effect: NoSchedule}]
  containers:
  - name: main
    image: $image
$(printf '    %s\n' "$@")
---
EOF
}

k create namespace "$NS" >/dev/null
wait_for "ServiceAccount $NS/default" 60 k -n "$NS" get serviceaccount default
ok "namespace $NS and its default ServiceAccount"

# ------------------------------------------------------------------ kwok ---
{
  pod sim-ok kwok example.invalid/task:1 '{sim.kwok/run-duration: 500ms}'
  pod sim-fail kwok example.invalid/task:1 '{sim.kwok/run-duration: 300ms, sim.kwok/exit-code: "3", sim.kwok/reason: Error, sim.kwok/message: boom}'
  pod sim-pull kwok example.invalid/missing:1 '{sim.kwok/waiting-reason: ImagePullBackOff}'
} | k apply -f - >/dev/null

wait_for "sim-ok Succeeded" 30 phase_is sim-ok Succeeded
expect "sim-ok exit code" "$(jp sim-ok '{.status.containerStatuses[0].state.terminated.exitCode}')" 0
expect "sim-ok node kind" "$(k get node "$(jp sim-ok '{.spec.nodeName}')" -o "jsonpath={.metadata.labels.${NODE_KIND_KEY//./\\.}}")" kwok
ok "simulated pod with exit code 0 Succeeded (on $(jp sim-ok '{.spec.nodeName}'))"

wait_for "sim-fail Failed" 30 phase_is sim-fail Failed
expect "sim-fail exit code" "$(jp sim-fail '{.status.containerStatuses[0].state.terminated.exitCode}')" 3
expect "sim-fail message" "$(jp sim-fail '{.status.containerStatuses[0].state.terminated.message}')" boom
ok "simulated pod with exit code 3 Failed with exit code 3 and its message"

waiting_reason() { [[ $(jp sim-pull '{.status.containerStatuses[0].state.waiting.reason}') == "$1" ]]; }
wait_for "sim-pull waiting with ImagePullBackOff" 30 waiting_reason ImagePullBackOff
sleep 2 # it must stay so
expect "sim-pull phase" "$(jp sim-pull '{.status.phase}')" Pending
expect "sim-pull reason" "$(jp sim-pull '{.status.containerStatuses[0].state.waiting.reason}')" ImagePullBackOff
ok "simulated pod with waiting-reason ImagePullBackOff stays Pending with that reason"

# kubectl logs of a simulated pod: a Logs object named like the pod points at
# a file in CRI log format.
printf '%s stdout F first line\n%s stderr F second line\n' \
  2026-01-01T00:00:00.000000000Z 2026-01-01T00:00:01.000000000Z >"$LOGFILE"
k apply -f - >/dev/null <<EOF
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Logs
metadata: {name: sim-fail, namespace: $NS}
spec:
  logs: [{containers: [main], logsFile: $LOGFILE}]
EOF
logs_say() { [[ $(k -n "$NS" logs sim-fail 2>/dev/null | head -1) == "first line" ]]; }
wait_for "kubectl logs sim-fail printing the Logs file" 15 logs_say
ok "kubectl logs of a simulated pod (KWOK Logs object)"

# ------------------------------------------------------------- real node ---
# The real node counts when it is Ready and its kubelet renewed the node's
# Lease lately (a stopped kubelet's node looks Ready for a while).
real_node_up() {
  local ready renewed
  ready=$(k get node "$REAL_NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) || return 1
  renewed=$(k -n kube-node-lease get lease "$REAL_NODE_NAME" -o 'jsonpath={.spec.renewTime}' 2>/dev/null) || return 1
  [[ $ready == True && -n $renewed ]] && (($(date +%s) - $(date -d "$renewed" +%s) < 40))
}
# A cluster that up.sh started with --real-node must have it (its
# cluster.env, next to the kubeconfig, says so); others may.
want_real=
if [[ -f $(dirname "$KUBECONFIG")/cluster.env ]]; then
  want_real=$(sed -n 's/^UPDRAFT_KUBE_REAL_NODE=//p' "$(dirname "$KUBECONFIG")/cluster.env")
fi
if [[ -n $want_real ]]; then
  wait_for "node $REAL_NODE_NAME Ready with a fresh Lease" 60 real_node_up
fi
if real_node_up; then
  # shellcheck disable=SC2016 # $(hostname) runs in the container
  pod real-42 real "$BUSYBOX_IMAGE" '{}' \
    'imagePullPolicy: Never' \
    'command: [sh, -c, "echo hello from $(hostname); echo exiting with 42 >/dev/termination-log; exit 42"]' |
    k apply -f - >/dev/null
  wait_for "real-42 Failed" 90 phase_is real-42 Failed
  expect "real-42 node" "$(jp real-42 '{.spec.nodeName}')" "$REAL_NODE_NAME"
  expect "real-42 exit code" "$(jp real-42 '{.status.containerStatuses[0].state.terminated.exitCode}')" 42
  expect "real-42 termination message" "$(jp real-42 '{.status.containerStatuses[0].state.terminated.message}')" "exiting with 42"
  expect "real-42 logs" "$(k -n "$NS" logs real-42)" "hello from real-42"
  ok "busybox pod on $REAL_NODE_NAME printed a line (kubectl logs) and exited 42 with a termination message"
else
  log "skip real-node checks: no live node $REAL_NODE_NAME (up.sh --real-node starts one)"
fi

# ------------------------------------------------------------- teardown ---
k delete namespace "$NS" --timeout=90s >/dev/null || die "namespace $NS was not deleted within 90s"
ok "namespace $NS deleted"
echo PASS
