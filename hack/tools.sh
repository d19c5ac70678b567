#!/usr/bin/env bash
# Installs the development tools the project pins, into the user's cache
# directory, once. `hack/tools.sh --bin-dir` prints where they are.
set -euo pipefail

GOLANGCI_LINT_VERSION=v2.15.0

cache="${XDG_CACHE_HOME:-$HOME/.cache}/updraft-tools"
bin="$cache/bin"
if [[ "${1:-}" == "--bin-dir" ]]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$bin"

want="golangci-lint has version ${GOLANGCI_LINT_VERSION#v}"
if ! "$bin/golangci-lint" version 2>/dev/null | grep -q "$want"; then
  echo "installing golangci-lint $GOLANGCI_LINT_VERSION into $bin"
  GOBIN="$bin" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION"
fi
