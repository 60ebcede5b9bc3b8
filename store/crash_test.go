package store

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/store/internal/backend"
	disk "github.com/sparkbench/sparkbench/store/internal/record"
)

// The crash test: a child process (this test binary, re-executed) writes
// with DurabilityAlways or DurabilityGroup and reports every operation before
// it starts ("I" line) and once it is acknowledged ("A" line); the parent
// SIGKILLs it at a random moment, reopens the store, and checks that every
// acknowledged write is there with its exact value and expiry, that a key
// holds either its last acknowledged state or that of the one operation on
// it still in flight, that nothing is corrupt, and that quota counters equal
// a recount. Rounds accumulate in one directory.

const (
	crashEnv        = "SPARKBENCH_CRASH_CHILD"
	crashWriters    = 8
	crashKeysPer    = 16
	crashShortTTL   = 1
	crashLongTTL    = 3600
	crashChildQuota = 1 << 20
	// crashCheckpointBytes is the child's WAL checkpoint threshold: about
	// 16 writes of the child's mean size.
	crashCheckpointBytes = 16 << 10
)

var crashSites = []string{"crash", "crash:x"}

// crashState is what a key may hold: absent, or a value (by hash and length)
// with an expiry. expLo..expHi bounds the expiry of an in-flight Set whose
// exact expiry the child never learned.
type crashState struct {
	present      bool
	hash         uint64
	length       int
	expLo, expHi int64
}

func (c crashState) String() string {
	if !c.present {
		return "absent"
	}
	return fmt.Sprintf("value(%d bytes, fnv %x, exp %d..%d)", c.length, c.hash, c.expLo, c.expHi)
}

func valueHash(v []byte) uint64 {
	h := fnv.New64a()
	h.Write(v)
	return h.Sum64()
}

// TestCrashChild is the child's body; it does nothing unless re-executed by
// TestCrash.
func TestCrashChild(t *testing.T) {
	if os.Getenv(crashEnv) == "" {
		t.Skip("child of TestCrash only")
	}
	mode, err := ParseDurability(os.Getenv("CRASH_DURABILITY"))
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := strconv.ParseUint(os.Getenv("CRASH_SEED"), 10, 64)
	// A small WAL checkpoint threshold (bbolt group) so that checkpoints
	// run nearly all the time and kills land in them as well as in WAL
	// appends.
	s, err := Open(Options{Backend: Backend(os.Getenv("CRASH_BACKEND")), Dir: os.Getenv("CRASH_DIR"),
		Durability: mode, SiteQuotaBytes: crashChildQuota, SweepInterval: 50 * time.Millisecond,
		CheckpointBytes: crashCheckpointBytes, CheckpointInterval: 20 * time.Millisecond})
	if err != nil {
		fmt.Fprintf(os.Stderr, "child open: %v\n", err)
		os.Exit(3)
	}
	var outMu sync.Mutex
	emit := func(line string) {
		outMu.Lock()
		os.Stdout.WriteString(line + "\n") // one write per line, unbuffered
		outMu.Unlock()
	}
	emit("READY")
	go func() { // checkpoint figures so far: "K checkpoints nanoseconds-in-checkpoints"
		for {
			time.Sleep(10 * time.Millisecond)
			st := s.Stats()
			emit(fmt.Sprintf("K %d %d", st.Checkpoints, st.CheckpointTime.Nanoseconds()))
		}
	}()
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for seq := 0; ; seq++ {
				site := s.Site(crashSites[rng.IntN(len(crashSites))])
				key := fmt.Sprintf("w%d-%02d", w, rng.IntN(crashKeysPer))
				size := rng.IntN(2000)
				value := make([]byte, size)
				for i := range value {
					value[i] = byte(rng.Uint32())
				}
				h := valueHash(value)
				switch op := rng.IntN(10); {
				case op < 5: // Set with TTL (0, short or long)
					ttl := []int64{0, crashShortTTL, crashLongTTL}[rng.IntN(3)]
					before := time.Now().UnixNano()
					emit(fmt.Sprintf("I %d %s %s set %x %d %d %d", w, site.Name(), key, h, size, before, ttl))
					if c := site.Set([]byte(key), value, ttl); c != OK {
						emit(fmt.Sprintf("F %d %s %s %v", w, site.Name(), key, c))
						continue
					}
					var exp int64
					if ttl > 0 {
						e := site.Export([]string{key})
						if len(e) == 1 {
							exp = e[0].ExpiresAt
						} else {
							exp = -1 // already expired (short TTL): absent is fine
						}
					}
					emit(fmt.Sprintf("A %d %s %s set %x %d %d", w, site.Name(), key, h, size, exp))
				case op < 7: // Import with an exact expiry
					exp := time.Now().Add(time.Duration(rng.IntN(3)) * time.Hour).UnixNano()
					emit(fmt.Sprintf("I %d %s %s imp %x %d %d", w, site.Name(), key, h, size, exp))
					if ok, c := site.Import(Entry{Key: key, Value: value, ExpiresAt: exp}); !ok || c != OK {
						emit(fmt.Sprintf("F %d %s %s %v", w, site.Name(), key, c))
						continue
					}
					emit(fmt.Sprintf("A %d %s %s imp %x %d %d", w, site.Name(), key, h, size, exp))
				default:
					emit(fmt.Sprintf("I %d %s %s del", w, site.Name(), key))
					if c := site.Delete([]byte(key)); c != OK {
						emit(fmt.Sprintf("F %d %s %s %v", w, site.Name(), key, c))
						continue
					}
					emit(fmt.Sprintf("A %d %s %s del", w, site.Name(), key))
				}
			}
		}()
	}
	wg.Wait()
}

func TestCrash(t *testing.T) {
	rounds := 3
	if os.Getenv("SPARKBENCH_SOAK") == "1" {
		rounds = 40
	} else if testing.Short() {
		rounds = 1
	}
	for _, be := range []Backend{BackendBbolt, BackendPebble} {
		for _, mode := range []Durability{DurabilityAlways, DurabilityGroup} {
			t.Run(fmt.Sprintf("backend=%s/durability=%s", be, mode), func(t *testing.T) {
				crashRounds(t, be, mode, rounds)
			})
		}
	}
}

type crashKey struct{ site, key string }

func crashRounds(t *testing.T, be Backend, mode Durability, rounds int) {
	dir := t.TempDir()
	model := map[crashKey]crashState{} // state after the previous round
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	totalAcks := 0
	var checkpoints int64
	var ckTime, runTime time.Duration
	walRounds, walSegs := 0, 0
	for round := range rounds {
		killAfter := time.Duration(30+rng.IntN(400)) * time.Millisecond
		lines := runCrashChild(t, be, mode, dir, rng.Uint64(), killAfter)
		runTime += killAfter
		// WAL segments the kill left (bbolt group): writes recovery must
		// replay.
		if segs, _ := filepath.Glob(filepath.Join(dir, "wal-*.log")); len(segs) > 0 {
			walRounds++
			walSegs += len(segs)
		}
		var roundCk, roundCkTime int64
		for _, ln := range lines {
			if f := strings.Fields(ln); len(f) == 3 && f[0] == "K" {
				roundCk, _ = strconv.ParseInt(f[1], 10, 64)
				roundCkTime, _ = strconv.ParseInt(f[2], 10, 64)
			}
		}
		checkpoints += roundCk
		ckTime += time.Duration(roundCkTime)

		allowed := map[crashKey][]crashState{}
		for k, st := range model {
			allowed[k] = []crashState{st}
		}
		inflight := map[int]crashKey{} // writer -> key of its unacknowledged op
		inflightState := map[int]crashState{}
		for _, ln := range lines {
			f := strings.Fields(ln)
			if len(f) < 4 {
				continue
			}
			w, _ := strconv.Atoi(f[1])
			k := crashKey{f[2], f[3]}
			switch f[0] {
			case "I":
				inflight[w] = k
				inflightState[w] = parseCrashState(t, f[4:], true)
			case "A":
				st := parseCrashState(t, f[4:], false)
				allowed[k] = []crashState{st}
				delete(inflight, w)
				totalAcks++
			case "F":
				delete(inflight, w)
			}
		}
		for w, k := range inflight {
			if _, known := allowed[k]; !known {
				allowed[k] = []crashState{{}} // never written before: absent
			}
			allowed[k] = append(allowed[k], inflightState[w])
		}

		s, err := Open(Options{Backend: be, Dir: dir, Durability: mode, SiteQuotaBytes: crashChildQuota, SweepInterval: -1})
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		model = map[crashKey]crashState{}
		for _, name := range crashSites {
			site := s.Site(name)
			checkUsage(t, site)
			if u := site.Usage(); u.UsedBytes > crashChildQuota {
				t.Fatalf("round %d: %s over quota: %+v", round, name, u)
			}
			for _, key := range site.List() {
				if _, known := allowed[crashKey{name, key}]; !known {
					t.Fatalf("round %d: %s/%s present but never written", round, name, key)
				}
			}
		}
		for k, states := range allowed {
			e := s.Site(k.site).Export([]string{k.key})
			now := time.Now().UnixNano() // after the read: what expired by now may be gone
			got := crashState{}
			if len(e) == 1 {
				got = crashState{present: true, hash: valueHash(e[0].Value), length: len(e[0].Value), expLo: e[0].ExpiresAt, expHi: e[0].ExpiresAt}
			}
			ok := false
			for _, want := range states {
				if crashMatch(want, got, now) {
					ok = true
					break
				}
			}
			if !ok {
				t.Fatalf("round %d: %s/%s = %v, allowed %v", round, k.site, k.key, got, states)
			}
			model[k] = got
		}
		usage := map[string]Usage{}
		for _, name := range crashSites {
			usage[name] = s.Site(name).Usage()
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		// Recount from the disk itself: every record decodes, and the bytes
		// per site equal the reopened store's quota counters.
		onDisk := recountDisk(t, string(be), dir)
		for _, name := range crashSites {
			if got, want := onDisk[name], usage[name]; got.UsedBytes != want.UsedBytes || got.Keys != want.Keys {
				t.Fatalf("round %d: %s: disk recount %d bytes %d keys, store counters %+v", round, name, got.UsedBytes, got.Keys, want)
			}
		}
	}
	t.Logf("%d rounds, %d acknowledged operations checked", rounds, totalAcks)
	if totalAcks == 0 {
		t.Fatal("the child acknowledged nothing")
	}
	if be == BackendBbolt && mode == DurabilityGroup {
		// The WAL must have been exercised: checkpoints ran, and kills left
		// segments to replay. The share of the children's time spent in
		// checkpoints is the chance that a kill landed in one.
		t.Logf("WAL: %d checkpoints (%.0f%% of the children's time), %d of %d kills left segments (%d in all)",
			checkpoints, 100*ckTime.Seconds()/runTime.Seconds(), walRounds, rounds, walSegs)
		if checkpoints == 0 || walRounds == 0 {
			t.Fatalf("the WAL was not exercised: %d checkpoints, %d rounds with segments at the kill", checkpoints, walRounds)
		}
	}
}

// crashMatch reports whether got is an acceptable observation of want at
// time now: an entry that has expired since may be absent.
func crashMatch(want, got crashState, now int64) bool {
	if !want.present {
		return !got.present
	}
	if want.expLo == -1 || (want.expHi != 0 && want.expHi <= now) {
		// Expired (or about to): absent is fine; present must still match.
		if !got.present {
			return true
		}
		if want.expLo == -1 {
			return false
		}
	}
	if !got.present {
		return false
	}
	return got.hash == want.hash && got.length == want.length && got.expLo >= want.expLo && got.expLo <= want.expHi
}

// parseCrashState reads "set HASH LEN EXP", "imp HASH LEN EXP", "del" (ack)
// or "set HASH LEN BEFORE TTL" (intent).
func parseCrashState(t *testing.T, f []string, intent bool) crashState {
	t.Helper()
	if f[0] == "del" {
		return crashState{}
	}
	h, err1 := strconv.ParseUint(f[1], 16, 64)
	n, err2 := strconv.Atoi(f[2])
	x, err3 := strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatalf("bad child line %q", f)
	}
	st := crashState{present: true, hash: h, length: n, expLo: x, expHi: x}
	if intent && f[0] == "set" {
		ttl, _ := strconv.ParseInt(f[4], 10, 64)
		if ttl == 0 {
			st.expLo, st.expHi = 0, 0
		} else {
			// The store's clock is the wall clock at Open advanced by the
			// monotonic clock; allow a second of disagreement with the
			// child's time.Now.
			st.expLo = x + ttl*int64(time.Second) - int64(time.Second)
			st.expHi = st.expLo + int64(time.Minute)
		}
	}
	return st
}

// runCrashChild runs one child, kills it with SIGKILL after killAfter (from
// when it reports READY) and returns every complete line it wrote.
func runCrashChild(t *testing.T, be Backend, mode Durability, dir string, seed uint64, killAfter time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"=1", "CRASH_BACKEND="+string(be), "CRASH_DURABILITY="+mode.String(),
		"CRASH_DIR="+dir, "CRASH_SEED="+strconv.FormatUint(seed, 10))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if sc.Text() == "READY" {
				close(ready)
				continue
			}
			lines = append(lines, sc.Text())
		}
	}()
	select {
	case <-ready:
	case <-done:
		cmd.Wait()
		t.Fatalf("child exited before READY: %s", stderr.String())
	case <-time.After(60 * time.Second):
		cmd.Process.Signal(syscall.SIGQUIT) // goroutine dump on stderr
		<-done
		cmd.Wait()
		t.Fatalf("child not ready after 60s; its goroutines:\n%s", stderr.String())
	}
	time.Sleep(killAfter)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	cmd.Wait()
	return lines
}

// recountDisk scans the backend directly and sums the entries per site.
// Reopen deleted the expired ones and the parent runs no sweeper, so the
// disk must hold exactly what the index holds.
func recountDisk(t *testing.T, be, dir string) map[string]Usage {
	t.Helper()
	raw, err := backend.Open(context.Background(), string(be), backend.Config{Dir: dir})
	if err != nil {
		t.Fatalf("open raw %s: %v", be, err)
	}
	defer raw.Close()
	out := map[string]Usage{}
	err = raw.Scan(func(k, v []byte) error {
		site, key, err := disk.SplitKey(k)
		if err != nil {
			return fmt.Errorf("key %q: %w", k, err)
		}
		value, _, err := disk.DecodeValue(v)
		if err != nil {
			return fmt.Errorf("value of %q: %w", k, err)
		}
		u := out[string(site)]
		u.UsedBytes += int64(len(key) + len(value))
		u.Keys++
		out[string(site)] = u
		return nil
	})
	if err != nil {
		t.Fatalf("disk recount: %v", err)
	}
	return out
}
