#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Command Post needs, skipping what is already there.
#   runtime: SpatiaLite, PROJ (pyproj is built against it, see README), Python venv + headers
#   test:    Chromium and a CJK font (browser tests, screenshots), Node.js/npm (dashboard build and tests)
set -euo pipefail
want=(libsqlite3-mod-spatialite libproj-dev proj-bin python3-venv python3-dev build-essential)
if [ "${1:-}" = "--test" ]; then
  want+=(chromium fonts-wqy-microhei)
fi
command -v npm >/dev/null 2>&1 || want+=(nodejs npm)

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
