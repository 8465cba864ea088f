#!/usr/bin/env bash
# The test command: installs what the end-to-end tests need (Debian packages, the tun device; root), then runs
# every unit and end-to-end test with Maven. Without root, only `mvn -B verify` runs: the unit tests, and one line
# per end-to-end class saying why it was skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then
    bash scripts/install-deps.sh
    export USERV2_E2E=required # installed: a missing prerequisite now fails the end-to-end tests, never skips them
else
    echo "scripts/test.sh: not root: end-to-end tests will be skipped (run as root to install and run them)" >&2
fi
exec mvn -B verify "$@" </dev/null
