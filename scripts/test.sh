#!/usr/bin/env bash
# The project's test command (README.md): formatting, lints, tests against a real MariaDB, docs.
# Installs MariaDB first when `mariadbd` is missing (needs root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-mariadb.sh

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
