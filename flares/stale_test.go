package flares

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommittedWasmIsFresh rebuilds every flare with build.sh into a temp dir
// and fails if a committed .wasm differs. Byte-identical output is only
// expected from the compiler recorded in BUILD_INFO, so another clang version
// skips instead of failing.
func TestCommittedWasmIsFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the rebuild takes seconds; the full test run checks it")
	}
	for _, tool := range []string{"clang", "wasm-ld", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: cannot rebuild the flares", tool)
		}
	}
	info, err := os.ReadFile("BUILD_INFO")
	if err != nil {
		t.Fatalf("read BUILD_INFO: %v", err)
	}
	out, err := exec.Command("clang", "--version").Output()
	if err != nil {
		t.Fatalf("clang --version: %v", err)
	}
	installed := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	recorded := ""
	for _, line := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(line, "clang: "); ok {
			recorded = strings.TrimSpace(v)
		}
	}
	if installed != recorded {
		t.Skipf("installed clang is %q, committed flares were built with %q: byte-identical output is not expected across versions", installed, recorded)
	}

	dir := t.TempDir()
	cmd := exec.Command("sh", "build.sh", dir)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, msg)
	}
	sources, _ := filepath.Glob("src/*.c")
	if len(sources) == 0 {
		t.Fatal("no flare sources under src/")
	}
	for _, src := range sources {
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		fresh, err := os.ReadFile(filepath.Join(dir, name+".wasm"))
		if err != nil {
			t.Errorf("%s: not rebuilt: %v", name, err)
			continue
		}
		committed, err := os.ReadFile(filepath.Join("wasm", name+".wasm"))
		if err != nil {
			t.Errorf("wasm/%s.wasm is not committed (run go generate ./flares)", name)
			continue
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("wasm/%s.wasm is stale: rebuilding src/%s.c gives different bytes (run go generate ./flares and commit)", name, name)
		}
	}
	committed, _ := filepath.Glob("wasm/*.wasm")
	for _, w := range committed {
		name := strings.TrimSuffix(filepath.Base(w), ".wasm")
		if _, err := os.Stat(filepath.Join("src", name+".c")); err != nil {
			t.Errorf("wasm/%s.wasm has no source src/%s.c", name, name)
		}
	}
}
