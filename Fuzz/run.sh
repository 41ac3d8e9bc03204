#!/usr/bin/env bash
# Builds the libFuzzer target (body decoding, mapping, WooCommerce and Shopify adapters) and
# runs it: `Fuzz/run.sh [SECONDS]` (default 900). Crashes land in Fuzz/crashes/; replay one
# with `swift run amosync-fuzz FILE` and turn it into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-900}
swift build --scratch-path .build-fuzz --product amosync-fuzz \
  -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -parse-as-library -Xswiftc -use-ld=lld
work=$(mktemp -d)
mkdir -p Fuzz/crashes
cp Fuzz/corpus/* "$work"/
echo "fuzzing for ${seconds}s; corpus in $work"
.build-fuzz/debug/amosync-fuzz -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix=Fuzz/crashes/ "$work"
