#!/usr/bin/env bash
# ensure-redis.sh makes sure redis-server and redis-cli are on PATH.
# It installs them from the system package manager when missing:
# apt-get on Debian/Ubuntu (as root or through sudo), Homebrew on macOS.
# Anything else gets a one-line instruction and a non-zero exit.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
  exit 0
fi

echo "redis-server not found; installing it" >&2
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "redhot: redis-server is missing and apt-get needs root; run: sudo apt-get install -y redis-server" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq redis-server >/dev/null
  # Debian starts a system service on install; redhot starts its own servers
  # on free ports and never uses it.
elif command -v brew >/dev/null 2>&1; then
  brew install redis
else
  echo "redhot: redis-server is missing; install Redis 7 or newer (https://redis.io/docs/latest/operate/oss_and_stack/install/) and put redis-server on PATH" >&2
  exit 1
fi

command -v redis-server >/dev/null 2>&1 || { echo "redhot: redis-server still not on PATH after install" >&2; exit 1; }
