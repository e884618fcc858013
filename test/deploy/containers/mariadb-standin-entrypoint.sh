#!/bin/bash
# What the official mariadb image's entrypoint does with MARIADB_* (and their _FILE forms), for the
# stand-in: initialise the data directory once, set the root password, create the database and user.
set -euo pipefail
from_file() { local name=$1 file_var="${1}_FILE"; if [ -n "${!file_var:-}" ]; then export "$name=$(cat "${!file_var}")"; fi; }
for v in MARIADB_ROOT_PASSWORD MARIADB_PASSWORD MARIADB_USER MARIADB_DATABASE; do from_file "$v"; done
datadir=/var/lib/mysql
if [ ! -d "$datadir/mysql" ]; then
  mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db >/dev/null
  mariadbd --user=mysql --datadir="$datadir" --skip-networking  &
  pid=$!
  for _ in $(seq 60); do mariadb-admin ping >/dev/null 2>&1 && break; sleep 1; done
  {
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '${MARIADB_ROOT_PASSWORD:?}';"
    echo "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '${MARIADB_ROOT_PASSWORD}'; GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [ -n "${MARIADB_DATABASE:-}" ]; then echo "CREATE DATABASE IF NOT EXISTS \`${MARIADB_DATABASE}\`;"; fi
    if [ -n "${MARIADB_USER:-}" ]; then
      echo "CREATE USER '${MARIADB_USER}'@'%' IDENTIFIED BY '${MARIADB_PASSWORD:?}';"
      if [ -n "${MARIADB_DATABASE:-}" ]; then echo "GRANT ALL ON \`${MARIADB_DATABASE}\`.* TO '${MARIADB_USER}'@'%';"; fi
    fi
    # The official image runs these too (only .sql here: the stand-in needs no more).
    for f in /docker-entrypoint-initdb.d/*.sql; do [ -e "$f" ] && cat "$f"; done
    echo "FLUSH PRIVILEGES;"
  } | mariadb -uroot
  kill "$pid"; wait "$pid" || true
fi
# The official image ships skip-name-resolve (its docker.cnf): without it every new client costs a
# reverse DNS lookup, which on an internal network can wait past the client's 10 s connect timeout.
exec mariadbd --user=mysql --datadir="$datadir" --bind-address=0.0.0.0 --port=3306 --skip-name-resolve --host-cache-size=0 "$@"
