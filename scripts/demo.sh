#!/usr/bin/env bash
# The main job: `binlog demo` starts a throwaway local MariaDB, runs a small workload and
# prints its change events as they happen.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-mariadb.sh
exec cargo run --release --locked -p binlog-cli -- demo "$@"
