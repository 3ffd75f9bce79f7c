#!/usr/bin/env bash
# Every test: sets up and builds (tools/setup.sh), then runs the whole CTest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
