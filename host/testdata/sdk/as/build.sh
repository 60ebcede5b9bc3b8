#!/bin/sh
# Rebuilds host/testdata/sdk/as_*.wasm from assembly/*.ts with the
# AssemblyScript compiler pinned in package-lock.json, run the way the
# flaron-cdn/flare-as SDK builds its flares: asconfig target "release",
# --runtime stub --exportRuntime.
#
# usage: sh build.sh [outdir]    (default: host/testdata/sdk)
# npm ci fills node_modules here (git-ignored) when it is missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "${1:-$here/..}" && pwd)
cd "$here"
if [ ! -x node_modules/.bin/asc ]; then
	npm ci --no-audit --no-fund --loglevel=error
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for flare in counter sparkscan; do
	# The output name is fixed because it is written into the module
	# (sourceMappingURL custom section).
	node_modules/.bin/asc "assembly/$flare.ts" --target release \
		--outFile "$tmp/$flare.wasm" --runtime stub --exportRuntime
	cp "$tmp/$flare.wasm" "$out/as_$flare.wasm"
done
{
	echo "compiler: assemblyscript $(node_modules/.bin/asc --version | sed 's/^Version //')"
	echo "node: $(node --version)"
	echo "options: asconfig.json target release (optimizeLevel 3, shrinkLevel 1, converge false, noAssert false, sourceMap), --runtime stub --exportRuntime"
	echo "outputs:"
	for flare in counter sparkscan; do
		echo "  as_$flare.wasm sha256 $(sha256sum "$out/as_$flare.wasm" | cut -d' ' -f1)"
	done
} >"$tmp/BUILD_INFO"
cp "$tmp/BUILD_INFO" "$out/BUILD_INFO"
