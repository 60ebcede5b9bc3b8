package main

import (
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const hostileDir = "../../host/testdata/hostile"

// hostileWorkload writes a workload running flare, with extra top-level
// YAML (limits), and returns its path.
func hostileWorkload(t *testing.T, flare, extra string) string {
	t.Helper()
	flare, err := filepath.Abs(flare)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "w.yaml")
	y := "name: x\nsites: [{domain: s.example}]\n" + extra + "scenarios:\n  - name: a\n    flare: " + flare +
		"\n    site: s.example\n    executor: {type: constant-arrival-rate, rate: 10/s}\n"
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runCLIWithin runs the CLI in-process, failing the test if it has not returned
// after limit.
func runCLIWithin(t *testing.T, limit time.Duration, args ...string) (stdout, stderr string, code int, took time.Duration) {
	t.Helper()
	type result struct {
		stdout, stderr string
		code           int
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		o, e, c := invoke(args)
		done <- result{o, e, c}
	}()
	select {
	case r := <-done:
		return r.stdout, r.stderr, r.code, time.Since(start)
	case <-time.After(limit):
		t.Fatalf("sparkbench %s still running after %v", strings.Join(args, " "), limit)
	}
	return
}

// TestHostileModulesCLI: inspect, validate and run on modules that fail
// at load (a start function or _initialize that loops or traps, a huge
// table) end promptly with one clear line naming the flare and what it
// did, in every timeout mode.
func TestHostileModulesCLI(t *testing.T) {
	cases := []struct {
		fixture string
		want    string // for inspect, with the default 1s invocation timeout
	}{
		{"start_loop", "flare[start_loop] start: timeout: stopped after 1s"},
		{"initialize_loop", "flare[initialize_loop] _initialize: timeout: stopped after 1s"},
		{"start_trap", "flare[start_trap] start: trap: integer divide by zero"},
		{"huge_table", "flare[huge_table] load: module_limit: table 0: 100000000 elements, limit 65536 (MaxTableElements)"},
	}
	for _, tc := range cases {
		wasm := filepath.Join(hostileDir, tc.fixture+".wasm")
		t.Run("inspect/"+tc.fixture, func(t *testing.T) {
			stdout, stderr, code, _ := runCLIWithin(t, 30*time.Second, "inspect", wasm)
			if code != exitRuntime || !strings.Contains(stdout, "runnable: no: "+tc.want+"\n") || stderr != "" {
				t.Errorf("exit %d, want %d and %q\nstdout:\n%s\nstderr:\n%s", code, exitRuntime, tc.want, stdout, stderr)
			}
		})
		// The workloads shorten the timeout: the same line, sooner.
		yaml := hostileWorkload(t, wasm, "limits: {invocation_timeout: 200ms}\n")
		want := strings.Replace(tc.want, "after 1s", "after 200ms", 1)
		for _, args := range [][]string{
			{"validate", yaml},
			{"run", "--quiet", "--duration", "1s", yaml},
			{"run", "--quiet", "--duration", "1s", "--timeout-mode", "none", yaml},
			{"run", "--quiet", "--duration", "1s", "--timeout-mode", "context", yaml},
			{"run", "--quiet", "--duration", "1s", "--timeout-mode", "close", yaml},
		} {
			t.Run(strings.Join(args[:len(args)-1], " ")+"/"+tc.fixture, func(t *testing.T) {
				_, stderr, code, _ := runCLIWithin(t, 30*time.Second, args...)
				if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") != 0 ||
					!strings.Contains(stderr, yaml+":") || !strings.Contains(stderr, want) {
					t.Errorf("exit %d, want %d and one line naming %s and %q:\n%s", code, exitUsage, yaml, want, stderr)
				}
			})
		}
	}
}

// TestInterruptWhileLoading: Ctrl-C while a flare's start function or
// _initialize loops under a long timeout, or under none (invocation
// timeout 0), ends validate and inspect within a second with one line.
func TestInterruptWhileLoading(t *testing.T) {
	// Keep SIGINT from ending the test binary: the command under test
	// handles it (its own handler sees the signal too).
	keep := make(chan os.Signal, 1)
	signal.Notify(keep, os.Interrupt)
	defer signal.Stop(keep)
	for _, tc := range []struct {
		name string
		args func(t *testing.T) []string
		want string
	}{
		{"validate/timeout-60s/start_loop", func(t *testing.T) []string {
			return []string{"validate", hostileWorkload(t, filepath.Join(hostileDir, "start_loop.wasm"), "limits: {invocation_timeout: 60s}\n")}
		}, "sparkbench validate: interrupted"},
		{"validate/timeout-0/initialize_loop", func(t *testing.T) []string {
			return []string{"validate", hostileWorkload(t, filepath.Join(hostileDir, "initialize_loop.wasm"), "limits: {invocation_timeout: 0s}\n")}
		}, "sparkbench validate: interrupted"},
		{"inspect/start_loop", func(t *testing.T) []string {
			return []string{"inspect", filepath.Join(hostileDir, "start_loop.wasm")}
		}, "sparkbench inspect: interrupted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const after = 300 * time.Millisecond
			timer := time.AfterFunc(after, func() { syscall.Kill(os.Getpid(), syscall.SIGINT) })
			defer timer.Stop()
			_, stderr, code, took := runCLIWithin(t, 30*time.Second, tc.args(t)...)
			t.Logf("returned %v after the signal", took-after)
			if code != exitRuntime || strings.TrimSpace(stderr) != tc.want {
				t.Errorf("exit %d, want %d and %q; stderr:\n%s", code, exitRuntime, tc.want, stderr)
			}
			if took-after > 2*time.Second {
				t.Errorf("returned %v after the signal", took-after)
			}
		})
	}
}
