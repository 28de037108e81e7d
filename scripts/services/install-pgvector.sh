#!/usr/bin/env bash
# Install the pgvector extension into Debian's PostgreSQL (default: 15).
#
# Debian bookworm ships no pgvector binary package, so this script builds the
# Debian *source* package from trixie:
#   1. apt-get install postgresql-$PG_MAJOR (if its binaries are missing),
#      postgresql-server-dev-$PG_MAJOR, build-essential, dpkg-dev
#   2. add a trixie `deb-src` entry (source only: never a binary `deb` line,
#      so nothing else on the machine is upgraded) in its own file,
#      /etc/apt/sources.list.d/semla-trixie-src.sources
#   3. apt-get source --download-only pgvector; dpkg-source -x; make; make install
#
# Idempotent: exits at once when vector.control and vector.so are already
# installed. Needs root (or passwordless sudo) for apt and `make install`.
#
# Environment:
#   PG_MAJOR        PostgreSQL major version (default 15)
#   PGVECTOR_SUITE  Debian suite whose source package is used (default trixie)
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-15}"
SUITE="${PGVECTOR_SUITE:-trixie}"
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
PG_CONFIG="${PG_BIN}/pg_config"
SRC_LIST="/etc/apt/sources.list.d/semla-${SUITE}-src.sources"

log() { printf '[install-pgvector] %s\n' "$*" >&2; }
die() { printf '[install-pgvector] ERROR: %s\n' "$*" >&2; exit 1; }

already_installed() {
  [[ -x "$PG_CONFIG" ]] || return 1
  local share lib
  share="$("$PG_CONFIG" --sharedir)" && lib="$("$PG_CONFIG" --pkglibdir)" || return 1
  [[ -f "$share/extension/vector.control" && -f "$lib/vector.so" ]]
}

if already_installed; then
  log "pgvector already installed for PostgreSQL ${PG_MAJOR} ($("$PG_CONFIG" --sharedir)/extension/vector.control)"
  exit 0
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null \
    || die "must run as root (or with passwordless sudo) to apt-get install and make install"
  SUDO=(sudo -n)
fi
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script supports Debian only"

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q -o Dpkg::Use-Pty=0 --no-install-recommends)

# Pick the Debian mirror this machine already uses (same host for trixie).
detect_mirror() {
  local files=() f uri
  [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" && "$f" != "$SRC_LIST" ]] && files+=("$f")
  done
  ((${#files[@]})) || return 1
  # one-line format: "deb [opts] URI suite comps"; deb822: "URIs: URI ..."
  uri="$(
    sed -nE \
      -e 's/^[[:space:]]*deb(-src)?[[:space:]]+(\[[^]]*\][[:space:]]+)?([a-z+]+:\/\/[^[:space:]]+).*/\3/p' \
      -e 's/^[[:space:]]*URIs:[[:space:]]*(.*)/\1/p' "${files[@]}" |
      tr ' ' '\n' | sed -E 's:/+$::' |
      grep -E '^[a-z+]+://[^[:space:]]+/debian$' | head -n1
  )" || true
  [[ -n "$uri" ]] && printf '%s\n' "$uri"
}

MIRROR="$(detect_mirror || true)"
if [[ -z "$MIRROR" ]]; then
  MIRROR="http://deb.debian.org/debian"
  log "no Debian mirror found in /etc/apt/sources.list{,.d}; using $MIRROR"
fi
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -f "$KEYRING" ]] || die "$KEYRING missing (apt-get install debian-archive-keyring)"

WANT="Types: deb-src
URIs: ${MIRROR}
Suites: ${SUITE}
Components: main
Signed-By: ${KEYRING}"
if [[ ! -f "$SRC_LIST" ]] || [[ "$(cat "$SRC_LIST")" != "$WANT" ]]; then
  log "adding source-only apt entry $SRC_LIST (deb-src ${MIRROR} ${SUITE} main)"
  printf '%s\n' "$WANT" | "${SUDO[@]}" tee "$SRC_LIST" >/dev/null
fi

log "apt-get update"
"${SUDO[@]}" apt-get update -q -o Dpkg::Use-Pty=0 >&2 \
  || die "apt-get update failed (is ${MIRROR} reachable? see output above)"

PKGS=("postgresql-server-dev-${PG_MAJOR}" build-essential dpkg-dev)
[[ -x "${PG_BIN}/postgres" ]] || PKGS=("postgresql-${PG_MAJOR}" "${PKGS[@]}")
log "apt-get install ${PKGS[*]}"
"${SUDO[@]}" apt-get install "${APT_OPTS[@]}" "${PKGS[@]}" >&2 \
  || die "apt-get install ${PKGS[*]} failed"
[[ -x "$PG_CONFIG" ]] || die "$PG_CONFIG still missing after installing postgresql-server-dev-${PG_MAJOR}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/semla-pgvector.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

log "apt-get source --download-only pgvector (from ${SUITE})"
# apt as root warns that the download is unsandboxed; harmless.
apt-get source --download-only -q pgvector >&2 \
  || die "could not download the pgvector source package from ${MIRROR} ${SUITE}"
DSC="$(ls -1 pgvector_*.dsc 2>/dev/null | head -n1)"
[[ -n "$DSC" ]] || die "no pgvector_*.dsc downloaded"
log "unpacking $DSC"
dpkg-source -x "$DSC" src >&2 || die "dpkg-source -x $DSC failed"

log "building pgvector against $("$PG_CONFIG" --version)"
# OPTFLAGS='' drops upstream's -march=native (as Debian does) so the build is
# portable; pgvector picks CPU-specific code paths at run time.
make -C src -j"$(nproc)" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >&2 \
  || die "make failed (see compiler output above)"
"${SUDO[@]}" make -C src install PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >&2 \
  || die "make install failed"

already_installed || die "make install finished but vector.control / vector.so are not where pg_config says"
VERSION="$(sed -nE "s/^default_version[[:space:]]*=[[:space:]]*'([^']+)'.*/\1/p" \
  "$("$PG_CONFIG" --sharedir)/extension/vector.control")"
log "installed pgvector ${VERSION} (source ${DSC%.dsc}) for PostgreSQL ${PG_MAJOR}"
