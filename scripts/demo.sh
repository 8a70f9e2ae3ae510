#!/usr/bin/env bash
# The main job on an embedded default: generate a small synthetic campaign (BIAS01, BIAS02,
# DARK01 on three CCDs, the real chamber profile shipped in testdata/ogse) and run the
# pipeline on it. Outputs: demo/campaign (day folder + truth.json) and demo/out/<session>/.
set -euo pipefail
cd "$(dirname "$0")/.."
TESTS="${TESTS:-BIAS01,BIAS02,DARK01}"
rm -rf demo/campaign
cargo run --release -q -p vison-sim-cli --bin vison-sim -- campaign --tests "$TESTS" --size small --seed 1 --out demo/campaign
cargo run --release -q -p vison-pipe-cli --bin vison-pipe -- run --data demo/campaign --tests "$TESTS" --out demo/out --block SIM_SEED1 --id DEMO_$(date +%Y%m%d_%H%M%S)
echo "Reports: $(ls -d demo/out/DEMO_* | tail -1)/index.html"
