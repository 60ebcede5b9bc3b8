#!/bin/sh
# Rebuilds host/testdata/*.wasm from the .wat next to them (wabt's wat2wasm).
# Run from host/: go generate, or sh testdata/build.sh.
set -eu
cd "$(dirname "$0")"
for wat in *.wat; do
	wat2wasm --enable-all -o "${wat%.wat}.wasm" "$wat"
done
