#!/bin/sh
# build.sh [OUTDIR] - assembles every hostile fixture NAME.wat into
# OUTDIR/NAME.wasm (default: next to the sources) with wabt's wat2wasm.
# Both the .wat and the .wasm are committed, so tests need no wabt.
set -eu
cd "$(dirname "$0")"
out=${1:-.}
mkdir -p "$out"
for src in *.wat; do
	wat2wasm "$src" -o "$out/${src%.wat}.wasm"
done
if [ "$out" = . ]; then
	echo "wat2wasm: $(wat2wasm --version)" > BUILD_INFO
fi
