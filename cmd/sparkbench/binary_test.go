package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/reports"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary builds the sparkbench command once per test process: these tests
// run the real binary, as a user does.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: builds the sparkbench binary")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sparkbench-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "sparkbench")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = err
			t.Logf("%s", out)
		}
	})
	if binErr != nil {
		t.Fatalf("go build: %v", binErr)
	}
	return binPath
}

// sb runs the binary and returns its output and exit code.
func sb(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// TestBinaryChecksVerifyAndStore runs the reference flares and the
// AssemblyScript flares of host/testdata/sdk through the real binary with
// response checks, verify and --show-responses, keeps the stores in
// store.dir, and reads them back with sparkbench store, on both disk
// backends.
func TestBinaryChecksVerifyAndStore(t *testing.T) {
	dir := t.TempDir()
	sdk, _ := filepath.Abs(filepath.Join("..", "..", "host", "testdata", "sdk"))
	wl := filepath.Join(dir, "w.yaml")
	os.WriteFile(wl, []byte(`
name: e2e
store: {backends: [bbolt, pebble], dir: `+filepath.Join(dir, "stores")+`}
sites:
  - {domain: c.example, capabilities: [writes_spark_kv]}
  - {domain: as.example, capabilities: [writes_spark_kv]}
scenarios:
  - name: count
    site: c.example
    flare: builtin:counter
    executor: {type: closed, vus: 4, iterations: 400}
    request: {headers: {x-counter-key: "hits:{{worker}}"}}
    expect:
      checks: [{name: counted, regex: '^[1-9][0-9]*$'}]
  - name: kv
    site: c.example
    flare: builtin:kvops
    executor: {type: closed, vus: 1, iterations: 10}
    request: {method: POST, body: "set doc{{seq}} 5 3600\nget doc{{seq}}"}
    expect:
      checks:
        - {name: read-back, contains: "get hit ttl=3600 len=5 value="}
        - {name: wrong, contains: "value=zzzzz"}
  - name: as
    site: as.example
    flare: `+filepath.Join(sdk, "as_counter.wasm")+`
    executor: {type: closed, vus: 1, iterations: 30}
    expect:
      checks:
        - {name: as-set-ok, header: x-set-code, equals: "0"}
        - {name: as-count, header: x-count, regex: '^[0-9]+$'}
  - name: scan
    site: as.example
    flare: `+filepath.Join(sdk, "as_sparkscan.wasm")+`
    executor: {type: closed, vus: 1, iterations: 20}
    request: {headers: {x-set-key: "s{{seq}}", x-set-ttl: "600", x-get-key: "s{{seq}}"}}
    expect:
      checks:
        - {name: scan-set, header: x-set-code, equals: "0"}
        - {name: scan-value, header: x-value, equals: "v:s{{seq}}"}
        - {name: scan-ttl, header: x-ttl, regex: '^(600|599)$'}
        - {name: scan-listed, contains: "s{{seq}}"}
verify:
  - {name: no-lost-increments, site: c.example, scenario: count, key: "hits:{{worker}}", equals: "{{responses}}", default: "0"}
  - {name: as-count-stored, site: as.example, key: count, equals: "30"}
  - {name: docs, site: c.example, key: doc9, size: {min: 5, max: 5}}
  - {name: scanned, site: as.example, key: s19, equals: "v:s19"}
thresholds:
  checks.no-lost-increments: "== 100%"
  checks.read-back: "== 100%"
  checks.wrong: "== 100%"
`), 0o644)
	out := filepath.Join(dir, "r.json")
	stdout, stderr, code := sb(t, "run", "--quiet", "--show-responses", "1", "--out", out, wl)
	if code != exitThresholds {
		t.Fatalf("exit %d, want 3 (checks.wrong fails)\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"FAIL checks.wrong == 100% (bbolt): 0%", "ok   checks.no-lost-increments == 100% (pebble): 100%",
		"kv edge (bbolt): failed: check wrong: not contained", `< 200 "set 0\nget hit ttl=3600 len=5 value=abcde\n"`,
		"as edge (pebble): first responses",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	f, _ := os.Open(out)
	rep, err := reports.ReadJSON(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range rep.Runs {
		want := map[string][2]int64{"counted": {400, 0}, "read-back": {10, 0}, "wrong": {0, 10}, "as-set-ok": {30, 0}, "as-count": {30, 0},
			"no-lost-increments": {4, 0}, "as-count-stored": {1, 0}, "docs": {1, 0},
			"scan-set": {20, 0}, "scan-value": {20, 0}, "scan-ttl": {20, 0}, "scan-listed": {20, 0}, "scanned": {1, 0}}
		for _, c := range run.Checks() {
			if w, ok := want[c.Name]; ok && [2]int64{c.Passed, c.Failed} != w {
				t.Errorf("%s: check %s %d/%d, want %v", run.Name(), c.Name, c.Passed, c.Failed, w)
			}
			delete(want, c.Name)
		}
		if len(want) > 0 {
			t.Errorf("%s: checks missing from the JSON: %v", run.Name(), want)
		}
		samples := 0
		for _, g := range run.Groups {
			samples += len(g.Samples)
		}
		if samples == 0 {
			t.Errorf("%s: no samples in the JSON", run.Name())
		}
	}

	stores := filepath.Join(dir, "stores")
	stdout, stderr, code = sb(t, "store", stores)
	if code != 0 || !strings.Contains(stdout, "bbolt    edge  as.example  21    ") || !strings.Contains(stdout, "pebble   edge  c.example   14") {
		t.Errorf("store summary exit %d:\n%s%s", code, stdout, stderr)
	}
	stdout, _, code = sb(t, "store", "--backend", "bbolt", stores, "get", "as.example", "count")
	if code != 0 || !strings.Contains(stdout, "value: 30\n") || !strings.Contains(stdout, "ttl:   no expiry") {
		t.Errorf("store get exit %d:\n%s", code, stdout)
	}
	stdout, _, code = sb(t, "store", filepath.Join(stores, "pebble"), "list", "c.example", "doc")
	if code != 0 || !strings.Contains(stdout, "10 keys in site c.example (pebble/edge) under \"doc\"") || !strings.Contains(stdout, "doc0  5 B   1h0m0s  abcde") {
		t.Errorf("store list exit %d:\n%s", code, stdout)
	}
	stdout, _, code = sb(t, "store", filepath.Join(stores, "bbolt", "edge"), "dump", "c.example", "--format", "json")
	var dump []map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &dump) != nil || len(dump) != 14 || dump[0]["key"] != "doc0" || dump[0]["value"] != "abcde" {
		t.Errorf("store dump exit %d:\n%s", code, stdout)
	}
	if _, stderr, code = sb(t, "store", "--backend", "bbolt", stores, "get", "c.example", "nope"); code != exitRuntime || !strings.Contains(stderr, `no live key "nope"`) {
		t.Errorf("get of a missing key: exit %d, %s", code, stderr)
	}
	if _, stderr, code = sb(t, "store", stores, "get", "c.example", "doc1"); code != exitUsage || !strings.Contains(stderr, "holds 2 stores") {
		t.Errorf("get without choosing a store: exit %d, %s", code, stderr)
	}
	if _, stderr, code = sb(t, "store", dir); code != exitUsage || !strings.Contains(stderr, "no bbolt or pebble store") {
		// dir holds stores/ two levels down only via stores/: three levels from dir.
		t.Errorf("store of a directory without stores: exit %d, %s", code, stderr)
	}
}

// TestBinaryStoreInUse: sparkbench store on the store.dir of a
// sparkbench run still running answers at once that it is in use.
func TestBinaryStoreInUse(t *testing.T) {
	for _, backend := range []string{"bbolt", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			wl := filepath.Join(dir, "w.yaml")
			os.WriteFile(wl, []byte(`
store: {backend: `+backend+`, dir: `+filepath.Join(dir, "s")+`}
duration: 30s
sites: [{domain: a, capabilities: [writes_spark_kv]}]
scenarios:
  - flare: builtin:counter
    executor: {type: constant-arrival-rate, rate: 50/s, max_in_flight: 2}
`), 0o644)
			run := exec.Command(binary(t), "run", "--quiet", wl)
			if err := run.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				run.Process.Signal(syscall.SIGINT) // it reports what it measured and exits
				run.Wait()
			}()
			manifest := filepath.Join(dir, "s", backend, "sparkbench-store.json")
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				if _, err := os.Stat(manifest); err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the run did not open its store in 20s")
				}
			}
			start := time.Now()
			_, stderr, code := sb(t, "store", filepath.Join(dir, "s"))
			if code != exitRuntime || !strings.Contains(stderr, "is in use by a running sparkbench") {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}
