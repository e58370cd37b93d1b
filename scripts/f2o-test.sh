#!/bin/sh
# The README's test command: install what is missing, build, run every test.
set -eu
cd "$(dirname "$0")/.."
F2O_WITH_CHROMIUM=1 sh scripts/deps.sh
make -j2 all >/dev/null
make -j2 test
