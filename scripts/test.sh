#!/usr/bin/env bash
# The project's test command (README.md): formatting, lints, tests against a real MariaDB, docs.
# Installs MariaDB first when `mariadbd` is missing (needs root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-mariadb.sh
if [ ! -d ../shared/corpus ]; then
    echo "error: ../shared/corpus is missing: the tests read the shared corpus of real binlogs," >&2
    echo "packet captures and auth vectors from a 'shared' directory beside this clone." >&2
    exit 1
fi

step() { printf '\n==> %s\n' "$*"; }
step "cargo fmt --all --check"
cargo fmt --all --check
step "cargo clippy --workspace --all-targets --locked -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "cargo test --workspace --locked"
cargo test --workspace --locked
step "cargo doc --workspace --no-deps --locked (warnings are errors)"
RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps --locked
step "all checks passed"
