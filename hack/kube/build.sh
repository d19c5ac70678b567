# shellcheck shell=bash
# Builds the test cluster's programs into the cache dir; sourced by up.sh and
# image.sh after lib.sh. Every function does nothing when its output exists,
# so only the first run is slow. Callers hold the cache lock (with_build_lock).
#
# Nothing is downloaded but Go modules (through GOPROXY) and, for the real
# node, Debian packages. Kubernetes, etcd and KWOK are compiled from their
# published modules; images are assembled from local binaries by imgtool.

# with_build_lock CMD...: one build at a time per cache dir. Two CI jobs on
# one machine would otherwise compile the same 400 MB twice on two cores.
with_build_lock() {
  mkdir -p "$CACHE_DIR"
  (
    exec 9>"$CACHE_DIR/.build.lock"
    if ! flock -n 9; then
      log "waiting for another build in $CACHE_DIR to finish"
      flock 9
    fi
    "$@"
  )
}

# go_mod_dir MODULE@VERSION: downloads a module (cached by Go) and prints the
# directory of its source.
go_mod_dir() {
  (cd / && go mod download -json "$1") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

# kube_wrapper_module DIR: a module from which k8s.io/kubernetes' commands can
# be built. k8s.io/kubernetes itself is a module nobody is meant to require:
# its go.mod points every k8s.io/* "staging" module at ./staging/src/...,
# which does not exist in the published zip. The wrapper replaces each with
# the published release of that staging module (v1.35.4 -> v0.35.4).
kube_wrapper_module() {
  local dir=$1 tmp=$1.tmp gomod staging_version=v0.${KUBE_VERSION#v1.} m
  [[ -f $dir/go.sum ]] && return 0
  rm -rf "$tmp" && mkdir -p "$tmp"
  gomod=$(go_mod_dir "k8s.io/kubernetes@$KUBE_VERSION")/go.mod
  [[ -f $gomod ]] || die "could not download k8s.io/kubernetes@$KUBE_VERSION from the Go module proxy ($(go env GOPROXY))"
  local replaces=()
  while read -r m; do
    replaces+=("-replace=$m=$m@$staging_version")
  done < <(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$gomod")
  ((${#replaces[@]} > 10)) || die "found only ${#replaces[@]} staging modules in $gomod; has its layout changed?"
  # (&& chains: `set -e` does not apply inside a subshell followed by ||)
  (
    cd "$tmp" &&
      go mod init updraft-kube/kubernetes &&
      go mod edit -require="k8s.io/kubernetes@$KUBE_VERSION" "${replaces[@]}" &&
      kube_tools_go >tools.go &&
      go mod tidy
  ) >"$tmp.log" 2>&1 || fail_with_log "making the wrapper module for k8s.io/kubernetes@$KUBE_VERSION" "$tmp.log"
  mv "$tmp.log" "$tmp/module.log"
  rm -rf "$dir" && mv "$tmp" "$dir"
}

# kube_tools_go: blank imports keep `go mod tidy` from dropping the
# requirements that only the commands need.
kube_tools_go() {
  local m
  printf '//go:build tools\n\npackage tools\n\nimport (\n'
  for m in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl; do
    printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$m"
  done
  printf ')\n'
}

# kube_ldflags: the version the binaries report. Without it they say
# v0.0.0-master, kubectl warns about skew and the kubelet's version checks
# misbehave.
kube_ldflags() {
  local v=${KUBE_VERSION#v} flags="-s -w" kv pkg
  for kv in "gitVersion=$KUBE_VERSION" "gitMajor=${v%%.*}" "gitMinor=$(cut -d. -f2 <<<"$v")" \
    gitCommit=0000000000000000000000000000000000000000 gitTreeState=clean buildDate=1970-01-01T00:00:00Z; do
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      flags+=" -X $pkg.$kv"
    done
  done
  echo "$flags"
}

# build_kube NAME...: kube-apiserver, kubelet, ... into $KUBE_BIN. The missing
# ones are built in one `go build` so that shared packages compile once.
build_kube() {
  local missing=() pkgs=() b src=$CACHE_DIR/src/kubernetes-$KUBE_VERSION
  for b in "$@"; do
    [[ -x $KUBE_BIN/$b ]] || missing+=("$b")
  done
  ((${#missing[@]})) || return 0
  for b in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  log "building ${missing[*]} $KUBE_VERSION (the first time takes 12-20 minutes on 2 cores); log: $src/build.log"
  kube_wrapper_module "$src"
  local out=$KUBE_BIN.tmp-$$
  rm -rf "$KUBE_BIN".tmp-* # left by a failed build (we hold the build lock)
  mkdir -p "$out" "$KUBE_BIN"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "$(kube_ldflags)" -o "$out/" "${pkgs[@]}") \
    >"$src/build.log" 2>&1 || fail_with_log "go build of ${missing[*]}" "$src/build.log"
  local version_cmd
  for b in "${missing[@]}"; do
    version_cmd=(--version)
    [[ $b == kubectl ]] && version_cmd=(version --client)
    "$out/$b" "${version_cmd[@]}" 2>/dev/null | grep -q "$KUBE_VERSION" ||
      die "$out/$b does not report version $KUBE_VERSION (ldflags not applied?)"
  done
  for b in "${missing[@]}"; do mv "$out/$b" "$KUBE_BIN/$b"; done
  rm -rf "$out"
  log "built ${missing[*]}"
}

# build_etcd: etcd's own module has a main package at its root. Debian's etcd
# (3.4.23) is too old: client-go 0.35 informers use watch-list streaming, which
# needs etcd's progress notifications; with it, informers never sync.
build_etcd() {
  [[ -x $ETCD_BIN/etcd ]] && return 0
  local src=$CACHE_DIR/src/etcd-$ETCD_VERSION
  log "building etcd $ETCD_VERSION (a few minutes); log: $src/build.log"
  mkdir -p "$src" "$ETCD_BIN"
  (
    cd "$src" &&
      if [[ ! -f go.sum ]]; then
        rm -f go.mod &&
          go mod init updraft-kube/etcd &&
          go mod edit -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION" &&
          printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >tools.go &&
          go mod tidy
      fi &&
      CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$ETCD_BIN/etcd.tmp" go.etcd.io/etcd/server/v3
  ) >"$src/build.log" 2>&1 || fail_with_log "building etcd $ETCD_VERSION" "$src/build.log"
  mv "$ETCD_BIN/etcd.tmp" "$ETCD_BIN/etcd"
}

# build_kwok: the kwok binary plus the CRD of its Logs objects (which point
# `kubectl logs` of a simulated pod at a local file).
build_kwok() {
  [[ -x $KWOK_BIN/kwok && -f $KWOK_BIN/logs-crd.yaml ]] && return 0
  local blog=$CACHE_DIR/src/kwok-$KWOK_VERSION.log dir
  log "building kwok $KWOK_VERSION (a few minutes); log: $blog"
  mkdir -p "$CACHE_DIR/src" "$KWOK_BIN"
  (cd / && CGO_ENABLED=0 GOBIN="$KWOK_BIN" go install -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION") >"$blog" 2>&1 || fail_with_log "building kwok $KWOK_VERSION" "$blog"
  dir=$(go_mod_dir "sigs.k8s.io/kwok@$KWOK_VERSION")
  cp "$dir/kustomize/crd/bases/kwok.x-k8s.io_logs.yaml" "$KWOK_BIN/logs-crd.yaml" ||
    die "kwok $KWOK_VERSION has no Logs CRD at kustomize/crd/bases/kwok.x-k8s.io_logs.yaml"
}

# build_imgtool: mkimage and pause from hack/kube/imgtool, rebuilt when a
# source file there is newer than the binaries.
build_imgtool() {
  local blog=$CACHE_DIR/src/imgtool.log
  if [[ -x $TOOLS_BIN/mkimage && -x $TOOLS_BIN/pause ]] &&
    [[ -z $(find "$KUBE_HACK/imgtool" -type f -newer "$TOOLS_BIN/mkimage" -print -quit) ]]; then
    return 0
  fi
  log "building imgtool (mkimage, pause); log: $blog"
  mkdir -p "$TOOLS_BIN" "$CACHE_DIR/src"
  (cd "$KUBE_HACK/imgtool" && CGO_ENABLED=0 go build -trimpath -o "$TOOLS_BIN/" ./cmd/...) \
    >"$blog" 2>&1 || fail_with_log "building hack/kube/imgtool" "$blog"
  touch "$TOOLS_BIN/mkimage" "$TOOLS_BIN/pause"
}

# mkimage TAR REF [mkimage flags and files]: builds an image tarball unless
# TAR is newer than mkimage and every input file named (HOST:/path args and
# -busybox HOST).
mkimage() {
  local tar=$1 ref=$2 stale=0 a prev=
  shift 2
  [[ -f $tar && $tar -nt $TOOLS_BIN/mkimage ]] || stale=1
  for a in "$@"; do
    if [[ $prev == -busybox ]]; then
      [[ $a -nt $tar ]] && stale=1
    elif [[ $a == *:/* && -f ${a%%:*} ]]; then
      [[ ${a%%:*} -nt $tar ]] && stale=1
    fi
    prev=$a
  done
  ((stale)) || return 0
  mkdir -p "$(dirname "$tar")"
  "$TOOLS_BIN/mkimage" -o "$tar" -t "$ref" "$@" || die "mkimage could not build $ref into $tar"
  log "built image $ref -> $tar"
}

# The images the real node needs. busybox comes from Debian's busybox-static
# (a static binary; the dynamic "busybox" package would not run in an empty
# image).
build_pause_image() {
  mkimage "$IMAGES_DIR/pause.tar" "$PAUSE_IMAGE" -entrypoint /pause "$TOOLS_BIN/pause:/pause"
}
build_busybox_image() {
  if [[ ! -x /bin/busybox ]] || ! file_is_static /bin/busybox; then
    die "/bin/busybox is missing or not static; install Debian's busybox-static"
  fi
  mkimage "$IMAGES_DIR/busybox.tar" "$BUSYBOX_IMAGE" -busybox /bin/busybox -cmd sh
}
# build_updraft_image strict|soft: this checkout's updraft binary (static,
# pure Go) as /usr/local/bin/updraft, plus busybox for /bin/sh. When the code
# does not compile (an edit in progress), strict fails; soft warns and leaves
# the previous image, if any, in place.
build_updraft_image() {
  local blog=$CACHE_DIR/src/updraft.log bin=$CACHE_DIR/src/updraft-bin/updraft
  mkdir -p "$(dirname "$bin")"
  if ! (cd "$REPO_ROOT" && CGO_ENABLED=0 go build -trimpath -o "$bin.tmp" ./cmd/updraft) >"$blog" 2>&1; then
    [[ $1 == soft ]] || fail_with_log "building ./cmd/updraft for $UPDRAFT_IMAGE" "$blog"
    if [[ -f $IMAGES_DIR/updraft.tar ]]; then
      log "WARNING: ./cmd/updraft does not build (see $blog); $UPDRAFT_IMAGE stays the build of $(date -r "$IMAGES_DIR/updraft.tar" '+%F %T')"
    else
      log "WARNING: ./cmd/updraft does not build (see $blog); there is no $UPDRAFT_IMAGE"
    fi
    return 0
  fi
  # keep the old file (and its mtime) when nothing changed, so the image is
  # not rebuilt
  if cmp -s "$bin.tmp" "$bin"; then rm "$bin.tmp"; else mv "$bin.tmp" "$bin"; fi
  mkimage "$IMAGES_DIR/updraft.tar" "$UPDRAFT_IMAGE" -busybox /bin/busybox "$bin:/usr/local/bin/updraft"
}

# file_is_static FILE: no program interpreter (ld.so) in its ELF headers.
# Without readelf (binutils) the check is skipped.
file_is_static() {
  command -v readelf >/dev/null || return 0
  LC_ALL=C readelf -h "$1" >/dev/null 2>&1 && ! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'
}
