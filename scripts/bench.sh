#!/usr/bin/env bash
# Benchmarks of issue 9 (see docs/benchmarks.md): builds the bench crate (bench/, outside the
# workspace), generates the workload binlogs once per scale (cached in bench/cache, not
# committed), then runs
#   1. in-memory decode: binlog-proto vs mysql_common on the same bytes, in the same run;
#   2. peak RSS while decoding the binlog files (streaming) at 1x and 4x the workload;
#   3. `binlog decode --format json` vs mariadb-binlog --verbose --base64-output=decode-rows
#      on the same files, output to /dev/null (BINLOG_CLI=path overrides the release build of
#      the workspace's `binlog` used by default);
# and writes the figures, with the machine's load, to bench/results/figures.md.
#
# Environment: SCALES (default "1 4"), ITERS (runs per decoder, default 7), NICE (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."

SCALES=${SCALES:-"1 4"}
ITERS=${ITERS:-7}
NICE=${NICE:-5}
BIN=bench/target/release/binlog-bench
OUT=bench/results
mkdir -p "$OUT"

scripts/ensure-mariadb.sh
cargo build --release --locked --manifest-path bench/Cargo.toml
if [ -z "${BINLOG_CLI:-}" ]; then
    cargo build --release --locked -p binlog-cli
    BINLOG_CLI=target/release/binlog
fi
for scale in $SCALES; do
    if [ ! -f "bench/cache/s${scale}-seed1/manifest.txt" ]; then
        nice -n "$NICE" "$BIN" generate --scale "$scale"
    fi
done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
nice -n "$NICE" "$BIN" decode --iters "$ITERS" --out "$OUT/decode.md"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
nice -n "$NICE" "$BIN" rss --scales "$(echo $SCALES | tr ' ' ',')" --out "$OUT/rss.md"
nice -n "$NICE" "$BIN" cli --iters 3 --binlog-cli "$BINLOG_CLI" --out "$OUT/cli.md"

{
    echo "## Figures of $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with local changes)'), $(rustc --version)"
    echo "- $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average (1/5/15 min) $load_before before, $load_after after the decode runs"
    echo "- $(sed -n 's/^server_version=//p' bench/cache/s1-seed1/manifest.txt)"
    echo
    echo "### In-memory decode (scale 1, $ITERS runs each, alternating)"
    echo
    cat "$OUT/decode.md"
    echo
    echo "### Peak RSS, streaming from the files"
    echo
    cat "$OUT/rss.md"
    echo
    echo "### Command-line decode to /dev/null (scale 1, median of 3)"
    echo
    cat "$OUT/cli.md"
} > "$OUT/figures.md"
cat "$OUT/figures.md"
