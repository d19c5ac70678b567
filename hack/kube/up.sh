#!/usr/bin/env bash
# up.sh [--real-node] [--fresh] [--build-only]
#
# Starts a real Kubernetes control plane on this machine, without Docker, for
# the Kubernetes executor's tests, and prints `READY <admin kubeconfig>` on
# stdout when it serves:
#
#   etcd -> kube-apiserver (TLS, RBAC) -> kube-controller-manager,
#   kube-scheduler -> KWOK, simulating nodes kwok-node-0..N-1 (default 2)
#
# --real-node  also a real node, "real-node": containerd + runc (Debian's
#              packages, installed with apt-get when missing) and a kubelet.
#              Its images are built here and imported into containerd:
#              updraft.local/pause:1 (sandbox), updraft.local/busybox:1 and
#              updraft.local/updraft:dev (this checkout's updraft + busybox).
# --fresh      start from an empty etcd (only when the cluster is stopped)
# --build-only build what is missing into the cache and stop there
#
# Idempotent: what is built is not built again, components that run are left
# alone, and dead ones are started again. The first run compiles Kubernetes
# from the Go module proxy (12-20 minutes on 2 cores, ~2 GB of RAM); later
# starts take seconds. Stop with down.sh. Directories, ports, versions, node
# names, labels, taints and image names: lib.sh. Logs: $RUN_DIR/logs/<name>.log.
set -euo pipefail

SCRIPT_NAME=up
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=build.sh
source "$KUBE_HACK/build.sh"

usage() { sed -n '2,25s/^# \{0,1\}//p' "$0"; }

REAL_NODE=0
FRESH=0
BUILD_ONLY=0

# ------------------------------------------------------------------ build ---

build_all() {
  build_etcd
  local kube=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  ((REAL_NODE)) && kube+=(kubelet)
  build_kube "${kube[@]}"
  build_kwok
  if ((REAL_NODE)); then
    build_imgtool
    build_pause_image
    build_busybox_image
    build_updraft_image soft # the cluster does not need it; tests do
  fi
  make_pki
}

# ensure_node_packages: Debian's container runtime and CNI plugins for the
# real node, and busybox-static for the test image.
ensure_node_packages() {
  local want=(containerd runc containernetworking-plugins iptables conntrack busybox-static) missing=() p
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  command -v apt-get >/dev/null || die "the real node needs the Debian packages ${missing[*]}, and there is no apt-get"
  local alog=$LOG_DIR/apt.log
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 --no-install-recommends)
  log "installing ${missing[*]} with apt-get; log: $alog"
  if ! "${apt[@]}" install "${missing[@]}" >>"$alog" 2>&1; then
    # stale or missing package lists: refresh once and retry
    { "${apt[@]}" update && "${apt[@]}" install "${missing[@]}"; } >>"$alog" 2>&1 ||
      fail_with_log "apt-get install ${missing[*]}" "$alog"
  fi
}

# -------------------------------------------------------------------- pki ---
# One CA signs everything. Kept in the cache dir so that kubeconfigs and
# service-account tokens stay valid from one start to the next.

# cert NAME SUBJECT EXTENSIONS: a key and a CA-signed certificate, once.
cert() {
  local name=$1 subject=$2 ext=$3
  [[ -f $PKI_DIR/$name.crt ]] && return 0
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI_DIR/$name.key" -subj "$subject" \
    -out "$PKI_DIR/$name.csr" 2>/dev/null
  printf '%b' "$ext" >"$PKI_DIR/$name.ext"
  openssl x509 -req -in "$PKI_DIR/$name.csr" -CA "$PKI_DIR/ca.crt" -CAkey "$PKI_DIR/ca.key" \
    -CAcreateserial -days 3650 -extfile "$PKI_DIR/$name.ext" -out "$PKI_DIR/$name.crt.tmp" 2>/dev/null ||
    die "openssl could not sign the certificate $name in $PKI_DIR"
  mv "$PKI_DIR/$name.crt.tmp" "$PKI_DIR/$name.crt"
  rm -f "$PKI_DIR/$name.csr" "$PKI_DIR/$name.ext"
}

make_pki() {
  mkdir -p "$PKI_DIR"
  chmod 700 "$PKI_DIR"
  if [[ ! -f $PKI_DIR/ca.crt ]]; then
    log "making certificates in $PKI_DIR"
    openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$PKI_DIR/ca.key" -subj "/CN=updraft-kube-ca" \
      -days 3650 -out "$PKI_DIR/ca.crt.tmp" 2>/dev/null || die "openssl could not make a CA in $PKI_DIR"
    mv "$PKI_DIR/ca.crt.tmp" "$PKI_DIR/ca.crt"
  fi
  cert apiserver /CN=kube-apiserver \
    "subjectAltName=IP:127.0.0.1,IP:${SERVICE_CIDR%.*}.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n"
  # system:masters: the admin user, used by the components as well (a test
  # cluster; per-component identities would only add certificates)
  cert admin "/O=system:masters/CN=updraft-kube-admin" "extendedKeyUsage=clientAuth\n"
  # KWOK's kubelet-like server (logs of simulated pods)
  cert kwok-serving /CN=kwok "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
  if [[ ! -f $PKI_DIR/sa.key ]]; then
    if ! openssl genrsa -out "$PKI_DIR/sa.key.tmp" 2048 2>/dev/null ||
      ! openssl rsa -in "$PKI_DIR/sa.key.tmp" -pubout -out "$PKI_DIR/sa.pub" 2>/dev/null; then
      die "openssl could not make the service-account key in $PKI_DIR"
    fi
    mv "$PKI_DIR/sa.key.tmp" "$PKI_DIR/sa.key"
  fi
}

# kubeconfig PATH CERTNAME: a kubeconfig for the CA-signed client CERTNAME.
kubeconfig() {
  local tmp=$1.tmp.$$
  cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: updraft-kube
  cluster:
    server: $APISERVER_URL
    certificate-authority-data: $(base64 -w0 <"$PKI_DIR/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 <"$PKI_DIR/$2.crt")
    client-key-data: $(base64 -w0 <"$PKI_DIR/$2.key")
contexts:
- name: updraft-kube
  context: {cluster: updraft-kube, user: $2}
current-context: updraft-kube
EOF
  chmod 600 "$tmp"
  mv "$tmp" "$1"
}

# -------------------------------------------------------------- processes ---

# start NAME CMD...: starts a component in a session of its own (so that the
# caller's terminal or CI step ending does not signal it), output appended to
# $LOG_DIR/NAME.log, pid in $PID_DIR/NAME.pid. Nothing when it already runs.
start() {
  local name=$1 pid
  shift
  if pid=$(pid_of "$name"); then
    log "$name already runs (pid $pid)"
    return 0
  fi
  rm -f "$PID_DIR/$name.pid"
  echo "===== $(date -u +%FT%TZ) up.sh starts: $*" >>"$LOG_DIR/$name.log"
  # The pid is written by the process itself just before it execs, so it is
  # right whether or not setsid had to fork. The run-dir lock (fd 8) is not
  # passed on: a daemon holding it would block down.sh forever.
  # shellcheck disable=SC2016 # expanded by the inner bash
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_DIR/$name.pid" "$@" \
    </dev/null >>"$LOG_DIR/$name.log" 2>&1 8>&- &
  local i
  for i in {1..50}; do
    [[ -s $PID_DIR/$name.pid ]] && pid_of "$name" >/dev/null && break
    sleep 0.02
  done
  log "started $name (pid $(cat "$PID_DIR/$name.pid" 2>/dev/null))"
}

# wait_until NAME SECONDS WHAT CMD...: polls CMD until it succeeds; fails
# early, showing NAME's log, when NAME exits.
wait_until() {
  local name=$1 timeout=$2 what=$3
  shift 3
  local deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null 2>&1; do
    pid_of "$name" >/dev/null || fail_with_log "$name (it exited while waiting for: $what)" "$LOG_DIR/$name.log"
    (($(date +%s) < deadline)) || fail_with_log "$name (no $what after ${timeout}s)" "$LOG_DIR/$name.log"
    sleep 0.1
  done
  log "$what"
}

api_get() { # PATH: GET from the API server as admin
  curl -sf --cacert "$PKI_DIR/ca.crt" --cert "$PKI_DIR/admin.crt" --key "$PKI_DIR/admin.key" "$APISERVER_URL$1"
}
kctl() { "$KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
node_ready() {
  [[ $(kctl get node "$1" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

# kwok_node_ready NAME: Ready, and KWOK holds its lease (so acts for it).
kwok_node_ready() {
  node_ready "$1" && [[ -n $(kctl -n kube-node-lease get lease "$1" -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null) ]]
}

start_control_plane() {
  if ((FRESH)); then
    pid_of etcd >/dev/null && die "--fresh: etcd runs; stop the cluster first (hack/kube/down.sh)"
    log "--fresh: removing $RUN_DIR/etcd"
    rm -rf "$RUN_DIR/etcd"
  fi
  start etcd "$ETCD_BIN/etcd" --name=updraft-kube --data-dir="$RUN_DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="updraft-kube=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync --quota-backend-bytes=8589934592 --log-level=warn
  wait_until etcd 30 "etcd is healthy" curl -sf "http://127.0.0.1:$ETCD_PORT/health"

  # --endpoint-reconciler-type=none: the "kubernetes" Service would otherwise
  # point at 127.0.0.1, which the API server refuses to advertise.
  start kube-apiserver "$KUBE_BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
    --endpoint-reconciler-type=none \
    --cert-dir="$RUN_DIR/apiserver" \
    --tls-cert-file="$PKI_DIR/apiserver.crt" --tls-private-key-file="$PKI_DIR/apiserver.key" \
    --client-ca-file="$PKI_DIR/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI_DIR/sa.pub" --service-account-signing-key-file="$PKI_DIR/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=Node,RBAC --allow-privileged=true \
    --kubelet-preferred-address-types=InternalIP \
    --kubelet-certificate-authority="$PKI_DIR/ca.crt" \
    --kubelet-client-certificate="$PKI_DIR/admin.crt" --kubelet-client-key="$PKI_DIR/admin.key"
  wait_until kube-apiserver 120 "kube-apiserver is ready" api_get /readyz
  kubeconfig "$KUBECONFIG_PATH" admin

  # The controller-manager is needed in practice: it creates every
  # namespace's "default" ServiceAccount (pods are refused without it),
  # deletes namespaces and collects garbage.
  start kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig="$KUBECONFIG_PATH" --authentication-kubeconfig="$KUBECONFIG_PATH" \
    --authorization-kubeconfig="$KUBECONFIG_PATH" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --leader-elect=false \
    --service-account-private-key-file="$PKI_DIR/sa.key" --root-ca-file="$PKI_DIR/ca.crt" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file="$PKI_DIR/ca.crt" --cluster-signing-key-file="$PKI_DIR/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --kube-api-qps=200 --kube-api-burst=400
  # The scheduler's client is held to 50 requests/s by default: one binding
  # and one event per pod, so no more than 25 pods/s would ever be scheduled.
  # A large cluster raises it the same way.
  start kube-scheduler "$KUBE_BIN/kube-scheduler" \
    --kubeconfig="$KUBECONFIG_PATH" --authentication-kubeconfig="$KUBECONFIG_PATH" \
    --authorization-kubeconfig="$KUBECONFIG_PATH" \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --leader-elect=false \
    --kube-api-qps=1000 --kube-api-burst=2000
  wait_until kube-controller-manager 60 "kube-controller-manager is healthy" curl -skf "https://127.0.0.1:$KCM_PORT/healthz"
  wait_until kube-scheduler 60 "kube-scheduler is healthy" curl -skf "https://127.0.0.1:$SCHEDULER_PORT/healthz"
  wait_until kube-controller-manager 60 "the default ServiceAccount exists" \
    api_get /api/v1/namespaces/default/serviceaccounts/default
}

start_kwok() {
  local dir=$RUN_DIR/kwok i name
  mkdir -p "$dir"
  # what `kubectl logs` prints for a simulated pod that has no Logs object
  printf '%s stdout F %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.000000000Z)" \
    "(kwok) simulated pod: no Logs object names a log file for it" >"$dir/default.log"
  sed "s#@DEFAULT_LOG@#$dir/default.log#" "$KUBE_HACK/kwok.yaml" >"$dir/kwok.yaml"

  kctl apply -f "$KWOK_BIN/logs-crd.yaml" >/dev/null || die "could not create KWOK's Logs CRD"
  kctl wait --for condition=Established --timeout=30s crd/logs.kwok.x-k8s.io >/dev/null ||
    die "KWOK's Logs CRD did not become established"

  # KWOK acts for a node only while it holds the node's Lease. A KWOK that
  # died without releasing them (SIGKILL, crash) would leave them held by its
  # old identity until they expire (40 s), and pods there would not move
  # until then. The leases are only KWOK's, so a new KWOK starts without.
  if ! pid_of kwok >/dev/null; then
    local leases=()
    for ((i = 0; i < KWOK_NODE_COUNT; i++)); do leases+=("$KWOK_NODE_PREFIX$i"); done
    kctl -n kube-node-lease delete lease "${leases[@]}" --ignore-not-found >/dev/null ||
      die "could not delete the leases of the KWOK nodes"
  fi
  # Only nodes annotated kwok.x-k8s.io/node=fake are KWOK's; the real node is not.
  start kwok "$KWOK_BIN/kwok" --kubeconfig="$KUBECONFIG_PATH" --config="$dir/kwok.yaml" \
    --enable-crds=Logs \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-ip=127.0.0.1 --node-port="$KWOK_PORT" --server-address="127.0.0.1:$KWOK_PORT" \
    --tls-cert-file="$PKI_DIR/kwok-serving.crt" --tls-private-key-file="$PKI_DIR/kwok-serving.key" \
    --cidr=10.244.0.0/16 --node-lease-duration-seconds=40

  for ((i = 0; i < KWOK_NODE_COUNT; i++)); do
    name=$KWOK_NODE_PREFIX$i
    kctl apply -f - >/dev/null <<EOF || die "could not create node $name"
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    $NODE_KIND_KEY: kwok
spec:
  taints:
  - {key: $NODE_KIND_KEY, value: kwok, effect: NoSchedule}
EOF
  done
  wait_until kwok 30 "kwok serves" curl -skf "https://127.0.0.1:$KWOK_PORT/healthz"
  for ((i = 0; i < KWOK_NODE_COUNT; i++)); do
    wait_until kwok 60 "node $KWOK_NODE_PREFIX$i is Ready" kwok_node_ready "$KWOK_NODE_PREFIX$i"
  done
}

# node_ip: the address the kubelet registers (it refuses a loopback one): the
# source address of the default route, else the first global address.
node_ip() {
  local ip
  ip=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
  [[ -n $ip ]] || ip=$(hostname -I 2>/dev/null | awk '{print $1}')
  [[ -n $ip ]] || die "no non-loopback IPv4 address for the real node's kubelet"
  echo "$ip"
}

start_real_node() {
  local ip cfg=$NODE_DIR
  ip=$(node_ip)
  mkdir -p "$cfg/containerd" "$cfg/cni" "$cfg/kubelet"

  cat >"$cfg/containerd/config.toml" <<EOF
# written by hack/kube/up.sh
version = 2
root = "$cfg/containerd/root"
state = "$cfg/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This VM lacks CAP_SYS_RESOURCE, so runc cannot lower a sandbox's
  # oom_score_adj below its own; without this every pod fails with "can't get
  # final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$cfg/cni"
EOF
  # One bridge, host-local addresses; no kube-proxy, so no Services.
  cat >"$cfg/cni/10-updraft-kube.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "updraft-kube", "plugins": [
  {"type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_SUBNET"}]],
            "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$cfg/cni-ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF
  echo 1 >/proc/sys/net/ipv4/ip_forward || log "warning: could not enable IPv4 forwarding"

  start containerd containerd --config "$cfg/containerd/config.toml"
  wait_until containerd 30 "containerd serves" ctr_node version
  local img
  for img in pause busybox updraft; do
    if [[ $img == updraft && ! -f $IMAGES_DIR/updraft.tar ]]; then continue; fi
    import_image "$IMAGES_DIR/$img.tar"
  done

  # The kubelet's identity; its serving certificate must name the node IP,
  # which may differ from one machine (or boot) to the next.
  if [[ -f $PKI_DIR/$REAL_NODE_NAME.crt ]] && ! openssl x509 -in "$PKI_DIR/$REAL_NODE_NAME.crt" -noout -checkip "$ip" | grep -q 'does match'; then
    rm -f "$PKI_DIR/$REAL_NODE_NAME.crt"
  fi
  cert "$REAL_NODE_NAME" "/O=system:nodes/CN=system:node:$REAL_NODE_NAME" \
    "subjectAltName=IP:$ip,IP:127.0.0.1,DNS:$REAL_NODE_NAME,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n"
  kubeconfig "$cfg/kubelet/kubeconfig" "$REAL_NODE_NAME"

  cat >"$cfg/kubelet/config.yaml" <<EOF
# written by hack/kube/up.sh
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false # the host has cgroups v1, which kubelet 1.35 refuses by default
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
podLogsDir: $cfg/pod-logs
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI_DIR/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI_DIR/$REAL_NODE_NAME.crt
tlsPrivateKeyFile: $PKI_DIR/$REAL_NODE_NAME.key
registerWithTaints:
- {key: $NODE_KIND_KEY, value: real, effect: NoSchedule}
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
failSwapOn: false
# Imported images cannot be pulled again: never garbage-collect them, and
# evict nothing because a shared CI disk fills up.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
serializeImagePulls: false
EOF
  start kubelet "$KUBE_BIN/kubelet" --config="$cfg/kubelet/config.yaml" --kubeconfig="$cfg/kubelet/kubeconfig" \
    --root-dir="$cfg/kubelet/root" --node-ip="$ip" --hostname-override="$REAL_NODE_NAME" \
    --node-labels="$NODE_KIND_KEY=real"
  # (after a restart the node object may still say Ready from last time, so
  # the kubelet's own health comes first)
  wait_until kubelet 60 "kubelet is healthy" curl -sf "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz"
  wait_until kubelet 120 "node $REAL_NODE_NAME is Ready" node_ready "$REAL_NODE_NAME"
}

write_env() {
  local real=
  if pid_of kubelet >/dev/null; then real=$REAL_NODE_NAME; fi
  local kwok_nodes=() i
  for ((i = 0; i < KWOK_NODE_COUNT; i++)); do kwok_nodes+=("$KWOK_NODE_PREFIX$i"); done
  cat >"$RUN_DIR/cluster.env.tmp" <<EOF
# written by hack/kube/up.sh; source it for the cluster's facts
KUBECONFIG=$KUBECONFIG_PATH
UPDRAFT_KUBE_KUBECTL=$KUBE_BIN/kubectl
UPDRAFT_KUBE_NODE_KIND_KEY=$NODE_KIND_KEY
UPDRAFT_KUBE_KWOK_NODES="${kwok_nodes[*]}"
UPDRAFT_KUBE_REAL_NODE=$real
UPDRAFT_KUBE_BUSYBOX_IMAGE=$BUSYBOX_IMAGE
UPDRAFT_KUBE_UPDRAFT_IMAGE=$UPDRAFT_IMAGE
UPDRAFT_KUBE_CONTAINERD_ADDRESS=$CONTAINERD_SOCK
EOF
  mv "$RUN_DIR/cluster.env.tmp" "$RUN_DIR/cluster.env"
}

main() {
  while (($#)); do
    case $1 in
    --real-node) REAL_NODE=1 ;;
    --fresh) FRESH=1 ;;
    --build-only) BUILD_ONLY=1 ;;
    -h | --help) usage && exit 0 ;;
    *) usage >&2 && die "unknown argument: $1" ;;
    esac
    shift
  done
  local c
  for c in go openssl curl flock setsid; do
    command -v "$c" >/dev/null || die "$c is not installed (needed by $0)"
  done
  if ((REAL_NODE)); then
    ((EUID == 0)) || die "--real-node needs root (containerd, runc, mounts, network)"
  fi
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$PID_DIR" "$CACHE_DIR"

  # up.sh and down.sh of one run dir take turns
  exec 8>"$RUN_DIR/.lock"
  flock 8

  if ((REAL_NODE)); then ensure_node_packages; fi
  with_build_lock build_all
  log "binaries ready in $CACHE_DIR"
  ((BUILD_ONLY)) && return 0

  start_control_plane
  start_kwok
  if ((REAL_NODE)); then
    start_real_node
  elif ! pid_of kubelet >/dev/null; then
    # The real node of an earlier --real-node run would stay listed, and look
    # Ready for a while; without a kubelet there is no real node.
    # (Its Lease goes too: the garbage collector would delete it later, from
    # under the next kubelet.)
    if ! kctl delete node "$REAL_NODE_NAME" --ignore-not-found >/dev/null ||
      ! kctl -n kube-node-lease delete lease "$REAL_NODE_NAME" --ignore-not-found >/dev/null; then
      die "could not delete the stale node $REAL_NODE_NAME"
    fi
  fi
  write_env
  log "cluster ready: kubeconfig $KUBECONFIG_PATH, logs $LOG_DIR, stop with hack/kube/down.sh"
  echo "READY $KUBECONFIG_PATH"
}

# main is read whole before it runs, so editing this file under a running
# up.sh is harmless.
main "$@"
exit
