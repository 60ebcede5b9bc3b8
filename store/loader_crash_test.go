package store

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The preload crash test: a child process (this test binary, re-executed)
// bulk-loads entries with a Loader and reports the count written after
// each Flush returns ("C n"); the parent SIGKILLs it at a random moment
// and reopens the store: it must open without damage, hold exactly the
// first m batches for some m at least the last reported (batches are
// atomic and written in order), every value intact, and quota counters
// that equal a recount of the disk.

const (
	preloadCrashEnv   = "SPARKBENCH_PRELOAD_CRASH_CHILD"
	preloadCrashKeys  = 400_000
	preloadCrashBatch = 20_000
)

func preloadCrashValue(i int) []byte {
	return fmt.Appendf(nil, "value-%d-%s", i, strings.Repeat("x", i%90))
}

// TestCrashPreloadChild is the child's body; it does nothing unless
// re-executed by TestCrashPreload.
func TestCrashPreloadChild(t *testing.T) {
	if os.Getenv(preloadCrashEnv) == "" {
		t.Skip("child of TestCrashPreload only")
	}
	mode, err := ParseDurability(os.Getenv("CRASH_DURABILITY"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(Options{Backend: Backend(os.Getenv("CRASH_BACKEND")), Dir: os.Getenv("CRASH_DIR"), Durability: mode,
		SiteQuotaBytes: 1 << 40, SweepInterval: -1})
	if err != nil {
		fmt.Fprintf(os.Stderr, "child open: %v\n", err)
		os.Exit(3)
	}
	os.Stdout.WriteString("READY\n")
	l := s.Site("pre").NewLoader(LoaderOptions{BatchEntries: preloadCrashBatch})
	for i := range preloadCrashKeys {
		if c := l.Set(fmt.Appendf(nil, "key%07d", i), preloadCrashValue(i), 0); c != OK {
			fmt.Fprintf(os.Stderr, "Set %d: %v\n", i, c)
			os.Exit(4)
		}
		if (i+1)%preloadCrashBatch == 0 {
			if err := l.Flush(); err != nil {
				fmt.Fprintf(os.Stderr, "flush: %v\n", err)
				os.Exit(5)
			}
			fmt.Fprintf(os.Stdout, "C %d\n", l.Stats().Written)
		}
	}
	s.Close()
	os.Stdout.WriteString("DONE\n")
	select {} // wait for the kill
}

func TestCrashPreload(t *testing.T) {
	rounds := 1
	if os.Getenv("SPARKBENCH_SOAK") == "1" {
		rounds = 8
	} else if testing.Short() {
		t.Skip("preload crash rounds are long")
	}
	for _, c := range []struct {
		be Backend
		d  Durability
	}{{BackendBbolt, DurabilityGroup}, {BackendBbolt, DurabilityAlways}, {BackendPebble, DurabilityGroup}} {
		t.Run(fmt.Sprintf("backend=%s/durability=%s", c.be, c.d), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
			for round := range rounds {
				dir := t.TempDir()
				killAfter := time.Duration(30+rng.IntN(800)) * time.Millisecond
				committed := runPreloadChild(t, c.be, c.d, dir, killAfter)
				s, err := Open(Options{Backend: c.be, Dir: dir, Durability: c.d, SiteQuotaBytes: 1 << 40, SweepInterval: -1})
				if err != nil {
					t.Fatalf("round %d: reopen after a kill during the preload: %v", round, err)
				}
				site := s.Site("pre")
				keys := site.List()
				n := len(keys)
				if n < committed || (n%preloadCrashBatch != 0 && n != preloadCrashKeys) {
					t.Fatalf("round %d: %d keys after the kill; %d were acknowledged, batches of %d", round, n, committed, preloadCrashBatch)
				}
				for i, k := range keys {
					if k != fmt.Sprintf("key%07d", i) {
						t.Fatalf("round %d: key %d is %s: not a prefix of the load", round, i, k)
					}
					if v, _, _ := site.Get([]byte(k)); string(v) != string(preloadCrashValue(i)) {
						t.Fatalf("round %d: %s = %q", round, k, v)
					}
				}
				checkUsage(t, site)
				if r := s.Stats().Recovery; len(r.Damage) > 0 {
					t.Fatalf("round %d: damage after a kill: %v", round, r.Damage)
				}
				u := site.Usage()
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if got := recountDisk(t, string(c.be), dir)["pre"]; got.UsedBytes != u.UsedBytes || got.Keys != u.Keys {
					t.Fatalf("round %d: disk recount %+v, store %+v", round, got, u)
				}
				t.Logf("round %d: killed after %v: %d acknowledged, %d on reopen", round, killAfter, committed, n)
			}
		})
	}
}

// runPreloadChild runs the child until killAfter after it is ready (or it
// is done) and returns the last count it reported written.
func runPreloadChild(t *testing.T, be Backend, d Durability, dir string, killAfter time.Duration) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashPreloadChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), preloadCrashEnv+"=1", "CRASH_BACKEND="+string(be), "CRASH_DURABILITY="+d.String(), "CRASH_DIR="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := 0
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			switch f := strings.Fields(sc.Text()); {
			case len(f) == 1 && f[0] == "READY":
				close(ready)
			case len(f) == 2 && f[0] == "C":
				committed, _ = strconv.Atoi(f[1])
			}
		}
	}()
	select {
	case <-ready:
	case <-done:
		cmd.Wait()
		t.Fatalf("child exited before READY: %s", stderr.String())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("child not ready after 60s: %s", stderr.String())
	}
	time.Sleep(killAfter)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	cmd.Wait()
	if strings.Contains(stderr.String(), "panic") || strings.Contains(stderr.String(), "child open") {
		t.Fatalf("child failed: %s", stderr.String())
	}
	return committed
}
