#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs the real BGP peers the
# tests run against (BIRD 2, GoBGP, FRR) and kubectl (apt-get, needs root), the npm
# dependencies, builds, and runs every ava test. This is the README's test
# command and what CI runs (with CI=true a missing peer fails the run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-peers.sh
npm ci --no-audit --no-fund
npm test
