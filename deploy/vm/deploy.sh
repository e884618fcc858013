#!/usr/bin/env bash
# Zero-downtime-ish deploys on a VM (the guides' release directories):
#   /srv/marg/releases/<id>/   one unpacked release each (the last KEEP are kept)
#   /srv/marg/current          symlink to the live release (what the units run)
#   /srv/marg/shared/.env      the configuration, linked into every release
#   /srv/marg/shared/storage/  data that outlives releases (STORAGE_PATH)
#
# Usage (as root):
#   deploy.sh deploy <release.tar.gz>   unpack, npm ci + build + prune, migrate (maintenance mode
#                                       only when migrations are pending), switch, rolling restart
#   deploy.sh rollback                  switch back to the previous release and restart
#   deploy.sh list                      the releases, the live one marked
# Environment: MARG_HOME (/srv/marg), MARG_USER (marg), KEEP (5),
#   MARG_SUPERVISOR=systemd|supervisor (systemd), MARG_UNITS (the units of this VM's roles).
set -euo pipefail

MARG_HOME=${MARG_HOME:-/srv/marg}
MARG_USER=${MARG_USER:-marg}
KEEP=${KEEP:-5}
MARG_SUPERVISOR=${MARG_SUPERVISOR:-systemd}
MARG_UNITS=${MARG_UNITS:-marg-worker@1 marg-worker@2 marg-worker@3 marg-scheduler marg-web}

releases=$MARG_HOME/releases
shared=$MARG_HOME/shared
current=$MARG_HOME/current

say() { printf '==> %s\n' "$*"; }
fail() { printf 'deploy.sh: %s\n' "$*" >&2; exit 1; }
as_marg() { (cd "$1" && shift && runuser -u "$MARG_USER" -- "$@"); }
marg() { as_marg "$1" node bin/marg.js "${@:2}"; }

# Restarts one role and waits until it is up again, so the next one restarts only then.
restart_one() {
  local unit=$1 i
  if [ "$MARG_SUPERVISOR" = supervisor ]; then
    supervisorctl restart "$unit" >/dev/null
  else
    systemctl restart "$unit"
  fi
  for ((i = 0; i < 60; i++)); do
    if [ "$MARG_SUPERVISOR" = supervisor ]; then
      supervisorctl status "$unit" | grep -q RUNNING && break
    else
      systemctl is-active --quiet "$unit" && break
    fi
    sleep 1
  done
  [ "$i" -lt 60 ] || fail "$unit did not come back within 60 s"
  # The web role: wait until it answers /health, so the balancer has a node while the next restarts.
  case $unit in
    *web*) for ((i = 0; i < 60; i++)); do marg "$current" health >/dev/null 2>&1 && return; sleep 1; done; fail "$unit is not healthy after 60 s" ;;
  esac
}

rolling_restart() {
  local unit
  for unit in $MARG_UNITS; do
    say "restarting $unit"
    restart_one "$unit"
  done
}

switch_to() {
  # An atomic switch: a new link renamed over the old one.
  ln -sfn "$1" "$current.next"
  mv -T "$current.next" "$current"
  say "current -> $1"
}

deploy() {
  local archive=${1:?usage: deploy.sh deploy <release.tar.gz>}
  [ -f "$archive" ] || fail "no such archive: $archive"
  local id dir
  id=$(date -u +%Y%m%d%H%M%S)
  dir=$releases/$id
  [ -f "$shared/.env" ] || fail "$shared/.env is missing: create it first (docs/deploy.md)"
  mkdir -p "$dir" "$shared/storage"
  chown "$MARG_USER:" "$shared/storage"
  say "unpacking $archive into $dir"
  tar -xzf "$archive" -C "$dir" --strip-components="${STRIP:-0}"
  ln -sfn "$shared/.env" "$dir/.env"
  ln -sfn "$shared/storage" "$dir/storage"
  # The full install builds dist/ (the `prepare` script needs TypeScript); then the dev tools go.
  say "npm ci (builds dist/), npm prune --omit=dev"
  (cd "$dir" && npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund)
  chown -R root:root "$dir"

  # Maintenance mode only when the schema changes: pending migrations run while nothing writes.
  local down=0 status
  status=$(marg "$dir" migrate --status) || fail "marg migrate --status failed in $dir (is the database reachable?)"
  if grep -q ' pending ' <<<"$status"; then
    say "migrations pending: maintenance mode while they run"
    if [ -e "$current" ]; then marg "$current" down --retry 30; down=1; fi
    marg "$dir" migrate
  else
    say "no pending migrations: no maintenance mode"
  fi
  switch_to "$dir"
  rolling_restart
  if [ "$down" = 1 ]; then marg "$current" up; fi
  prune
  say "deployed $id"
}

rollback() {
  local live previous
  live=$(readlink -f "$current")
  previous=$(find "$releases" -mindepth 1 -maxdepth 1 -type d | sort | grep -B1 -xF "$live" | head -n 1)
  if [ -z "$previous" ] || [ "$previous" = "$live" ]; then fail "no release before $(basename "$live") to roll back to"; fi
  # The previous code runs on the current schema: Marg's migrations only add (see docs/deploy.md).
  switch_to "$previous"
  rolling_restart
  say "rolled back to $(basename "$previous")"
}

prune() {
  local live old
  live=$(readlink -f "$current")
  find "$releases" -mindepth 1 -maxdepth 1 -type d | sort | head -n "-$KEEP" | while read -r old; do
    [ "$old" = "$live" ] || rm -rf "$old"
  done
}

list() {
  local live dir
  live=$(readlink -f "$current" 2>/dev/null || true)
  find "$releases" -mindepth 1 -maxdepth 1 -type d | sort | while read -r dir; do
    if [ "$dir" = "$live" ]; then echo "* $(basename "$dir")"; else echo "  $(basename "$dir")"; fi
  done
}

case ${1:-} in
  deploy) deploy "${2:-}" ;;
  rollback) rollback ;;
  list) list ;;
  *) fail "usage: deploy.sh deploy <release.tar.gz> | rollback | list" ;;
esac
