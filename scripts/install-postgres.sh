#!/bin/sh
# Installs Debian's PostgreSQL 15 and PostGIS 3 for the tests of the PostGIS store (the tests
# start their own throwaway server from these binaries: tests/pg_server.py). Does nothing when
# both are installed already. The app itself never needs them (the GeoPackage is the default).
set -e
BIN=${LAGESBILD_PG_BIN:-/usr/lib/postgresql/15/bin}
SHARE=/usr/share/postgresql/15/extension
if [ -x "$BIN/initdb" ] && [ -x "$BIN/postgres" ] && [ -f "$SHARE/postgis.control" ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  # the package lists the machine has first (no update: seconds saved in CI), fresh ones if
  # they are too old to name the packages
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      postgresql-15 postgresql-15-postgis-3 >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      postgresql-15 postgresql-15-postgis-3 >/dev/null
  fi
else
  echo "No PostgreSQL 15 with PostGIS 3 and no apt-get: install them and set LAGESBILD_PG_BIN" \
       "to the folder of initdb and postgres." >&2
  exit 1
fi
