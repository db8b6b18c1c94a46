#!/usr/bin/env bash
# bench-meta.sh prints the metadata lines (starting with '#') that head a
# saved benchmark result: the command, the machine and the versions.
set -euo pipefail
echo "# run $(date -u +%Y-%m-%dT%H:%MZ) by '$1'"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //' || uname -m), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo 2>/dev/null || echo '?') memory"
echo "# $(go version | cut -d' ' -f3-4), $(redis-server --version 2>/dev/null | cut -d' ' -f1-3 || echo 'redis-server not installed')"
