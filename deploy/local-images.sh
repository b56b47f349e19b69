#!/usr/bin/env bash
# The images deploy/compose.yaml and the container tests run, made on a machine that reaches
# Debian's mirror and PyPI but no container registry:
#
#   base     a slim Debian base from debootstrap, imported into podman (made once, kept): like
#            debian:bookworm-slim, which the official python:3.12-slim is built from, it keeps no
#            documentation, manual pages or translations, and neither do packages installed on it
#   redis    a stand-in for the official redis image, FROM that base
#   haproxy  a stand-in for the official haproxy image, FROM that base
#   mock     this project's Dockerfile, FROM that base
#
#   deploy/local-images.sh              # all four
#   deploy/local-images.sh base mock    # some
#
# Names (each a variable): BASE_IMAGE (localhost/debian:bookworm-slim), REDIS_IMAGE
# (localhost/balances-mock-redis:bookworm), LB_IMAGE (localhost/balances-mock-haproxy:bookworm)
# and BALANCES_MOCK_IMAGE (localhost/balances-mock:latest): export the same ones to compose.
# The base is made only when missing; the others are built every time, from podman's layer cache
# when nothing changed. pip in the build trusts this machine's CA bundle (HOST_CA, mounted for the
# build only: it is in no layer). Needs podman, and debootstrap for the base; root.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE=${BASE_IMAGE:-localhost/debian:bookworm-slim}
BASE_RECIPE=2  # raise it when make_base changes: a base made by an older recipe is made again
REDIS_IMAGE=${REDIS_IMAGE:-localhost/balances-mock-redis:bookworm}
LB_IMAGE=${LB_IMAGE:-localhost/balances-mock-haproxy:bookworm}
BALANCES_MOCK_IMAGE=${BALANCES_MOCK_IMAGE:-localhost/balances-mock:latest}
SUITE=${SUITE:-bookworm}
HOST_CA=${HOST_CA:-/etc/ssl/certs/ca-certificates.crt}
if [ -z "${CONTAINERS_CONF:-}" ] && [ -f deploy/containers.conf ]; then
  export CONTAINERS_CONF=$PWD/deploy/containers.conf
fi

say() { printf '%s\n' "$*" >&2; }

mirror() {
  # The Debian mirror apt uses on this machine (deb822 or one-line sources), else Debian's own.
  local found
  found=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v -- '-security' | head -n1)
  [ -n "$found" ] || found=$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v -- '-security' | head -n1)
  printf '%s\n' "${DEBIAN_MIRROR:-${found:-http://deb.debian.org/debian}}"
}

make_base() {
  if [ "$(podman image inspect --format '{{index .Config.Labels "io.balances-mock.base-recipe"}}' "$BASE_IMAGE" \
         2>/dev/null)" = "$BASE_RECIPE" ]; then
    say "base: $BASE_IMAGE is there"
    return
  fi
  command -v debootstrap >/dev/null || { say "base: needs debootstrap (apt-get install debootstrap)"; exit 1; }
  local root url started
  started=$SECONDS
  root=$(mktemp -d /var/tmp/balances-mock-rootfs.XXXXXX)
  trap 'rm -rf "$root"' RETURN
  url=$(mirror)
  say "base: debootstrap --variant=minbase $SUITE from $url"
  debootstrap --variant=minbase "$SUITE" "$root" "$url" >/dev/null
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/usr/share/locale/* "$root"/usr/share/lintian/*
  find "$root/usr/share/doc" ! -type d ! -name copyright -delete  # the licences stay
  # What apt installs later on this base leaves the same out, and keeps no downloaded package.
  { printf 'path-exclude=/usr/share/%s/*\n' doc man info locale lintian
    printf 'path-include=/usr/share/doc/*/copyright\n'; } > "$root/etc/dpkg/dpkg.cfg.d/slim"
  printf 'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\nAPT::Keep-Downloaded-Packages "false";\n' \
    > "$root/etc/apt/apt.conf.d/slim"
  {
    printf 'deb %s %s main\n' "$url" "$SUITE"
    printf 'deb %s %s-updates main\n' "$url" "$SUITE"
    printf 'deb %s-security %s-security main\n' "${url%/debian}/debian" "$SUITE"
  } > "$root/etc/apt/sources.list"
  tar -C "$root" -c . | podman import --quiet --message "debootstrap --variant=minbase $SUITE, slim" \
    --change "LABEL io.balances-mock.base-recipe=$BASE_RECIPE" - "$BASE_IMAGE" >/dev/null
  say "base: $BASE_IMAGE made in $((SECONDS - started)) s"
}

build() {
  # build NAME FILE [podman build arguments]: FROM the base, CA bundle mounted for pip.
  local name=$1 file=$2
  shift 2
  local ca=()
  if [ -f "$HOST_CA" ]; then
    ca=(--volume "$HOST_CA:/run/host-ca.crt:ro" --build-arg PIP_CERT=/run/host-ca.crt)
  fi
  say "build: $name"
  podman build --quiet --format docker --build-arg "BASE=$BASE_IMAGE" "${ca[@]}" "$@" -f "$file" -t "$name" . >/dev/null
}

what=("$@")
[ ${#what[@]} -gt 0 ] || what=(base redis haproxy mock)
for each in "${what[@]}"; do
  case $each in
    base) make_base ;;
    redis) make_base; build "$REDIS_IMAGE" deploy/stand-ins/redis.Containerfile ;;
    haproxy) make_base; build "$LB_IMAGE" deploy/stand-ins/haproxy.Containerfile ;;
    mock) make_base
          source_url=$(git remote get-url origin 2>/dev/null || true)
          case $source_url in https://*) ;; *) source_url= ;; esac  # a public URL, or none
          build "$BALANCES_MOCK_IMAGE" Dockerfile --build-arg "SOURCE=$source_url" \
            --build-arg "REVISION=$(git rev-parse HEAD 2>/dev/null || true)" ;;
    *) say "unknown image '$each': base, redis, haproxy or mock"; exit 2 ;;
  esac
done
