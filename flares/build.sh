#!/bin/sh
# build.sh [OUTDIR] - builds every reference flare (src/NAME.c + the runtime)
# into OUTDIR/NAME.wasm (default: wasm/ next to this script).
#
# Freestanding wasm32, no libc, Debian clang + wasm-ld. The output must be
# deterministic: no debug info, no names section, no producers section, and
# sources are passed by relative path so no absolute path can leak in.
set -eu
cd "$(dirname "$0")"
out=${1:-wasm}
mkdir -p "$out"
CLANG=${CLANG:-clang}

# One clang per flare, all at once: the staleness test runs this script.
pids=
for src in src/*.c; do
	name=$(basename "$src" .c)
	"$CLANG" --target=wasm32 -O2 -nostdlib -ffreestanding -fno-builtin -g0 \
		-std=c11 -Wall -Wextra -Werror \
		-fno-ident -fdebug-prefix-map="$PWD"=. \
		-Wl,--no-entry -Wl,--export=alloc -Wl,--export=handle_request \
		-Wl,--strip-all -Wl,--stack-first -Wl,-z,stack-size=65536 \
		-o "$out/$name.wasm" runtime/runtime.c "$src" &
	pids="$pids $!"
done
failed=0
for pid in $pids; do
	wait "$pid" || failed=1
done
if [ "$failed" -ne 0 ]; then
	echo "build.sh: a flare failed to build" >&2
	exit 1
fi

# Record the toolchain next to the committed binaries; the staleness test
# only demands byte-identical output from the same compiler version.
if [ "$out" = wasm ]; then
	{
		echo "clang: $("$CLANG" --version | head -n 1)"
		echo "wasm-ld: $(wasm-ld --version | head -n 1)"
	} > BUILD_INFO
fi
