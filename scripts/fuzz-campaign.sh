#!/usr/bin/env bash
# Runs fuzz campaigns one target after the other and records each in fuzz/campaigns.tsv
# (target, start, seconds, executions, cov, ft, corpus entries, result).
# Usage: scripts/fuzz-campaign.sh [-t SECONDS] [-r RUNS] TARGET...
#   defaults: 900 s or 20 million executions, whichever comes first.
# Builds with `cargo +nightly fuzz build` unless FUZZ_NO_BUILD=1, runs under `nice -n 15`
# on a copy of the target binary (so rebuilding during a campaign is safe), from
# fuzz/corpus/<target> (see scripts/fuzz-seeds.sh), which the campaign grows.
# Crashes land in fuzz/artifacts/<target>/; logs in fuzz/campaigns/<target>-<time>.log.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
TIME=900
RUNS=20000000
while getopts "t:r:" opt; do
    case $opt in
        t) TIME=$OPTARG ;;
        r) RUNS=$OPTARG ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-t seconds] [-r runs] target..." >&2; exit 2; }
[ "${FUZZ_NO_BUILD:-}" = 1 ] || cargo +nightly fuzz build "$@"
mkdir -p campaigns
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
[ -f campaigns.tsv ] || printf 'target\tstart\tseconds\texecutions\tcov\tft\tcorpus\tresult\n' >campaigns.tsv
for target in "$@"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    cp "target/x86_64-unknown-linux-gnu/release/$target" "$BIN/$target"
    start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    log="campaigns/$target-$start.log"
    t0=$(date +%s)
    set +e
    nice -n 15 "$BIN/$target" "corpus/$target" -max_total_time="$TIME" -runs="$RUNS" \
        -max_len=65536 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" >"$log" 2>&1
    status=$?
    set -e
    seconds=$(($(date +%s) - t0))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
    result=ok
    [ $status -eq 0 ] || result="FAILED (exit $status, see $log)"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$start" "$seconds" "${execs:-?}" \
        "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result" | tee -a campaigns.tsv
done
