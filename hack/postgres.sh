#!/usr/bin/env bash
# Makes sure PostgreSQL's server binaries (initdb, pg_ctl, postgres) are on
# this machine and prints the directory that holds them, e.g.
# /usr/lib/postgresql/15/bin. Tests start throwaway servers from there
# (internal/store/postgres/pgserver). It looks in PATH, then in Debian's
# /usr/lib/postgresql/*/bin (newest version first), and installs Debian's
# postgresql package when neither has them, so a fresh CI machine needs only
# Go. Quiet on success but for the path; safe to run again and from several
# processes at once.
set -euo pipefail

has_server() { [[ -x "$1/initdb" && -x "$1/pg_ctl" && -x "$1/postgres" ]]; }

find_bin() {
  local initdb dir
  if initdb=$(command -v initdb 2>/dev/null); then
    # Debian links /usr/local/bin/initdb and friends to the versioned
    # directory; the real one also holds the server's other programs.
    dir=$(dirname "$(readlink -f "$initdb")")
    if has_server "$dir"; then
      echo "$dir"
      return 0
    fi
  fi
  while read -r dir; do
    if has_server "$dir"; then
      echo "$dir"
      return 0
    fi
  done < <(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r)
  return 1
}

if find_bin; then
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "postgres.sh: no PostgreSQL server binaries found (initdb, pg_ctl, postgres) and no apt-get to install them;" >&2
  echo "install PostgreSQL, or set UPDRAFT_PG_BIN to the directory that holds initdb" >&2
  exit 1
fi
sudo=()
if [[ $EUID -ne 0 ]]; then
  sudo=(sudo)
fi

# Test binaries of several packages run this at once: one installs, the
# others wait for it and then find the binaries.
exec 9>"${TMPDIR:-/tmp}/updraft-postgres-install.lock"
flock 9
if find_bin; then
  exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt_install() {
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends postgresql >>"$log" 2>&1
}
# apt-get update only when the package lists do not know the package yet.
if ! apt-cache show postgresql >/dev/null 2>&1 || ! apt_install; then
  if ! "${sudo[@]}" apt-get update -q >>"$log" 2>&1 || ! apt_install; then
    cat "$log" >&2
    echo "postgres.sh: installing Debian's postgresql package failed" >&2
    exit 1
  fi
fi
if ! find_bin; then
  echo "postgres.sh: postgresql is installed but its server binaries were not found" >&2
  exit 1
fi
