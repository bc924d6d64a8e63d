#!/usr/bin/env bash
# Installs MariaDB's server and client from the distribution when they are missing.
# The tests start their own throwaway server; no running service is needed.
set -euo pipefail
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
if have mariadbd && have mariadb-install-db && have mariadb; then
  exit 0
fi
echo "MariaDB not found: installing mariadb-server and mariadb-client" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends mariadb-server mariadb-client
