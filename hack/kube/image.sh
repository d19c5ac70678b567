#!/usr/bin/env bash
# image.sh: images for the test cluster's real node, which has no registry.
#
#   image.sh [--no-import] pause|busybox|updraft ...
#       (re)build the named images into the cache dir when their inputs
#       changed, and import them into the real node's containerd:
#         pause    updraft.local/pause:1      the pod sandbox
#         busybox  updraft.local/busybox:1    Debian's busybox-static, sh and
#                                             all applets in /bin
#         updraft  updraft.local/updraft:dev  this checkout's ./cmd/updraft as
#                                             /usr/local/bin/updraft, plus busybox
#       `image.sh updraft` after changing the code refreshes that image; pods
#       that start afterwards run the new binary.
#   image.sh import FILE.tar ...
#       import image tarballs made any other way (docker save, crane, ...)
#   image.sh mkimage -o OUT.tar -t REF [flags] HOSTFILE:/path ...
#       build a tarball from static binaries (flags: imgtool/cmd/mkimage);
#       then `image.sh import OUT.tar`
#
# Pods use these images with imagePullPolicy: Never (or IfNotPresent).
set -euo pipefail

SCRIPT_NAME=image
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=build.sh
source "$KUBE_HACK/build.sh"

usage() { sed -n '2,22s/^# \{0,1\}//p' "$0"; }

build_named() {
  build_imgtool
  local name
  for name in "$@"; do
    case $name in
    pause) build_pause_image ;;
    busybox) build_busybox_image ;;
    updraft) build_updraft_image strict ;;
    *) die "unknown image $name (want pause, busybox or updraft)" ;;
    esac
  done
}

main() {
  (($#)) || { usage >&2 && exit 2; }
  case $1 in
  -h | --help) usage ;;
  import)
    shift
    (($#)) || die "import: no tarball named"
    local f
    for f in "$@"; do import_image "$f"; done
    ;;
  mkimage)
    shift
    with_build_lock build_imgtool
    "$TOOLS_BIN/mkimage" "$@"
    ;;
  *)
    local import=1
    if [[ $1 == --no-import ]]; then
      import=0
      shift
    fi
    with_build_lock build_named "$@"
    if ((import)); then
      local name
      for name in "$@"; do import_image "$IMAGES_DIR/$name.tar"; done
    fi
    ;;
  esac
}

main "$@"
exit
