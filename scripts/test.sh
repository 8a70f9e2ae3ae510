#!/usr/bin/env bash
# The project's test command (README): the whole workspace with nextest, then doc tests.
# Oracle tests use $VISON_PYTHON (a Python with numpy and astropy) or ./.venv/bin/python.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo nextest run --workspace --no-fail-fast
cargo test --workspace --doc
