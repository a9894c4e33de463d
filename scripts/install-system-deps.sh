#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Command Post needs, skipping what is already there.
#   runtime: SpatiaLite, PROJ (pyproj is built against it, see README), GDAL (pyogrio is built against it;
#            gdal-bin gives ogrinfo, which the OGC API tests read the service with), Python venv + headers
#   test:    Chromium and a CJK font (browser tests, screenshots), Node.js/npm (dashboard build and tests);
#            PostgreSQL with PostGIS unless TEST_DATABASE_URL is set, and Redis unless TEST_REDIS_URL is
#            set: the tests then start throwaway instances of their own from these binaries
#            (tests/throwaway_services.py), so both storage backends are always tested.
set -euo pipefail
want=(libsqlite3-mod-spatialite libproj-dev proj-bin libgdal-dev gdal-bin python3-venv python3-dev build-essential)
if [ "${1:-}" = "--test" ]; then
  want+=(chromium fonts-wqy-microhei)
  [ -n "${TEST_DATABASE_URL:-}" ] || want+=(postgresql)
  [ -n "${TEST_REDIS_URL:-}" ] || want+=(redis-server)
fi
command -v npm >/dev/null 2>&1 || want+=(nodejs npm)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
updated=""

install_missing() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing system packages: ${missing[*]}"
  [ -n "$updated" ] || { $sudo apt-get update -qq; updated=1; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_missing "${want[@]}"

# PostGIS is packaged per PostgreSQL version: add the one for the newest PostgreSQL installed.
if [ "${1:-}" = "--test" ] && [ -z "${TEST_DATABASE_URL:-}" ]; then
  pg_version=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
  [ -z "$pg_version" ] || install_missing "postgresql-$pg_version-postgis-3"
fi
