#!/usr/bin/env bash
# CI smoke of the fuzz targets: builds every target of fuzz/ and runs each for a short time
# (FUZZ_SMOKE_SECONDS, default 20) from its seed corpus. Any crash, leak, timeout or OOM fails.
# Uses `cargo +nightly fuzz` when a nightly toolchain is installed, else cargo-fuzz on the
# pinned stable toolchain with RUSTC_BOOTSTRAP=1 (it needs -Zsanitizer); installs cargo-fuzz
# when missing. Seeds: fuzz/corpus/<target> if present (scripts/fuzz-seeds.sh), else the
# shared corpus is split with `scripts/fuzz-seeds.sh --no-server` (fast, no server needed).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SMOKE_SECONDS:-20}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    fuzz() { cargo +nightly fuzz "$@"; }
    echo "==> cargo-fuzz on nightly"
else
    fuzz() { RUSTC_BOOTSTRAP=1 cargo fuzz "$@"; }
    echo "==> cargo-fuzz on stable with RUSTC_BOOTSTRAP=1"
fi

if [ ! -d fuzz/corpus ] || [ -z "$(ls -A fuzz/corpus 2>/dev/null)" ]; then
    scripts/fuzz-seeds.sh --no-server
fi

echo "==> building every fuzz target"
(cd fuzz && fuzz build)

failed=()
for target in $(cd fuzz && fuzz list); do
    mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
    # A scratch corpus: the smoke must not grow the seed directory.
    scratch=$(mktemp -d)
    echo "==> $target: ${SECONDS_PER_TARGET}s"
    if (cd fuzz && fuzz run "$target" "$scratch" "corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 \
        -print_final_stats=1 >"$scratch.log" 2>&1); then
        grep -E '^(Done|stat::number_of_executed_units|#[0-9]+ +DONE)' "$scratch.log" | tail -2 || true
    else
        echo "!! $target failed:"
        tail -40 "$scratch.log"
        failed+=("$target")
    fi
    rm -rf "$scratch" "$scratch.log"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz smoke failed: ${failed[*]} (reproducers in fuzz/artifacts/)"
    exit 1
fi
echo "==> fuzz smoke passed"
