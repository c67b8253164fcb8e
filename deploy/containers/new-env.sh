#!/bin/sh
# Writes .env from .env.example (both beside this script): every empty value becomes a fresh random
# secret (32 random bytes as 64 hex digits, openssl rand), and a variable set in the environment is
# written as it is instead of the example's value. Refuses to overwrite an existing .env.
set -eu
cd "$(dirname "$0")"
if [ -e .env ]; then
  echo "new-env.sh: .env exists already; remove it first to make a new one (its secrets are lost)" >&2
  exit 1
fi
umask 077
while IFS= read -r line || [ -n "$line" ]; do
  case $line in
    '#'* | '') printf '%s\n' "$line" ;;
    *=*)
      name=${line%%=*}
      if printenv "$name" >/dev/null; then
        printf '%s=%s\n' "$name" "$(printenv "$name")"
      elif [ -z "${line#*=}" ]; then
        printf '%s=%s\n' "$name" "$(openssl rand -hex 32)"
      else
        printf '%s\n' "$line"
      fi
      ;;
    *) printf '%s\n' "$line" ;;
  esac
done <.env.example >.env.new
mv .env.new .env
echo "new-env.sh: wrote $(pwd)/.env (mode 600)"
