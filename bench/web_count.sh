#!/usr/bin/env bash
# Instructions the network view adds per frame with one viewer (bench/web_count.py):
# callgrind over the same frames with a viewer of nothing, the stream, the events (full,
# light), the page's two feeds, the stream and the full events.
#   bash bench/web_count.sh [FRAMES]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "web_count: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
mkdir -p bench/.build
[ -f bench/.build/cgmark.so ] || cc -O2 -shared -fPIC -o bench/.build/cgmark.so bench/cgmark.c
py=.venv/bin/python  # the venv's interpreter (a link to the binary itself, not a shell wrapper)
frames=${1:-20}
declare -A counts
for mode in none stream events light page both; do
  out=$(mktemp -d)
  valgrind --tool=callgrind --dump-instr=no --dump-line=no --callgrind-out-file="$out/cg.out" \
    "$py" bench/web_count.py "$mode" "$frames" 2>&1 >/dev/null | grep -v '^==' || true
  counts[$mode]=$(grep -l "Trigger: Client Request: $mode|frames" "$out"/cg.out.* | xargs grep -h -m1 -E '^(summary|totals):' | awk '{print $2}')
  rm -rf "$out"
done
for mode in none stream events light page both; do
  awk -v m="$mode" -v c="${counts[$mode]}" -v n="$frames" -v base="${counts[none]}" \
    'BEGIN { printf "%-7s %7.3fM instructions per frame, %+7.3fM over nobody watching\n", m, c / n / 1e6, (c - base) / n / 1e6 }'
done
