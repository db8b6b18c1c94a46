#!/usr/bin/env bash
# bench-meta.sh prints the metadata lines (starting with '#') that head a
# saved benchmark result: the command, the machine, the versions of Go,
# Redis and the client libraries compared, and the commit measured.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
echo "# run $(date -u +%Y-%m-%dT%H:%MZ) by '$1'"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //' || uname -m), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo 2>/dev/null || echo '?') memory, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
echo "# $(go version | cut -d' ' -f3-4), $(redis-server --version 2>/dev/null | cut -d' ' -f1-3 || echo 'redis-server not installed')"
mods="$(cd "$here/../bench" && go list -m -f '{{.Path}} {{.Version}}' github.com/redis/go-redis/v9 github.com/redis/rueidis github.com/go-kratos/aegis github.com/tylertreat/BoomFilters 2>/dev/null | tr '\n' ',' | sed 's/,$//; s/,/, /g' || true)"
[ -n "$mods" ] && echo "# modules: $mods"
commit="$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || true)"
if [ -n "$commit" ]; then
  git -C "$here/.." diff --quiet HEAD 2>/dev/null || commit="$commit with uncommitted changes"
  echo "# commit $commit"
fi
