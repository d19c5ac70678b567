#!/usr/bin/env bash
# The web app's steps, for make and CI: deps, build, check, test, e2e.
#   deps   npm ci when node_modules is missing or older than the lock file
#   build  type-check and build web/ into internal/ui/dist (commit the result)
#   check  build into a temporary directory and fail if the committed
#          internal/ui/dist differs: the embedded bundle must be its source's
#   test   the unit tests (vitest)
#   e2e    the end-to-end tests in headless Chromium against bin/updraft
#   bench  render times of big views in headless Chromium
# npm keeps its downloads in the user's cache (~/.npm), so a second install
# needs no network.
set -euo pipefail
cd "$(dirname "$0")/../web"

need_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "web.sh: Node.js 20.19 or later (with npm) is needed to build and test the web app" >&2
    exit 1
  fi
  # Vite 8 needs Node 20.19 or later.
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
    echo "web.sh: Node.js $(node --version) is too old: the web app's build (Vite 8) needs 20.19 or later" >&2
    exit 1
  fi
}

deps() {
  need_node
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

case "${1:-}" in
deps) deps ;;
build)
  deps
  npm run build
  ;;
check)
  deps
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  npx tsc --noEmit
  npx vite build --outDir "$tmp/dist" --emptyOutDir --logLevel warn
  if ! diff -r "$tmp/dist" ../internal/ui/dist; then
    echo "web.sh: internal/ui/dist is not what web/ builds: run 'make web' and commit internal/ui/dist" >&2
    exit 1
  fi
  echo "web.sh: internal/ui/dist matches web/"
  ;;
test)
  deps
  npm test
  ;;
e2e)
  deps
  UPDRAFT_CHROMIUM=$(../hack/chromium.sh)
  export UPDRAFT_CHROMIUM
  npm run test:e2e
  ;;
bench)
  deps
  UPDRAFT_CHROMIUM=$(../hack/chromium.sh)
  export UPDRAFT_CHROMIUM
  npm run bench
  ;;
*)
  echo "usage: hack/web.sh deps|build|check|test|e2e|bench" >&2
  exit 2
  ;;
esac
