package edgeops

import (
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[47][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestUUIDVersionBits(t *testing.T) {
	tests := []struct {
		args    string
		version byte
	}{
		{`{"version":"v4"}`, '4'}, {`{"version":"4"}`, '4'}, {``, '4'}, {`{}`, '4'},
		{`{"version":"v7"}`, '7'}, {`{"version":"7"}`, '7'},
	}
	for _, tt := range tests {
		got, ok := UUID([]byte(tt.args))
		if !ok || !uuidRE.Match(got) || got[14] != tt.version {
			t.Fatalf("UUID(%s) = %q, %v; want version %c", tt.args, got, ok, tt.version)
		}
	}
	before := time.Now().UnixMilli()
	u, _ := UUID([]byte(`{"version":"v7"}`))
	after := time.Now().UnixMilli()
	tsHex := strings.ReplaceAll(string(u[:13]), "-", "")
	ms, _ := strconv.ParseInt(tsHex, 16, 64)
	if ms < before || ms > after {
		t.Fatalf("v7 timestamp %d outside [%d, %d]", ms, before, after)
	}
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		u, _ := UUID(nil)
		if seen[string(u)] {
			t.Fatal("duplicate v4 UUID")
		}
		seen[string(u)] = true
	}
}

var ulidRE = regexp.MustCompile(`^[0-7][0-9A-HJKMNP-TV-Z]{25}$`)

// decodeULIDTime reads the 48-bit timestamp back from the first 10 digits.
func decodeULIDTime(t *testing.T, s []byte) int64 {
	var ms int64
	for _, c := range s[:10] {
		ms = ms*32 + int64(strings.IndexByte(crockford, c))
	}
	return ms
}

func TestULIDFormatAndMonotonic(t *testing.T) {
	clock := time.UnixMilli(1700000000123)
	g := &ulidGen{now: func() time.Time { return clock }}
	var ids []string
	for i := 0; i < 1000; i++ { // all in one millisecond
		id, ok := g.next()
		if !ok || !ulidRE.Match(id) {
			t.Fatalf("ULID %q, %v", id, ok)
		}
		if got := decodeULIDTime(t, id); got != 1700000000123 {
			t.Fatalf("timestamp %d", got)
		}
		ids = append(ids, string(id))
	}
	clock = clock.Add(time.Millisecond)
	next, _ := g.next()
	ids = append(ids, string(next))
	clock = clock.Add(-time.Second) // clock steps back: still increasing
	back, _ := g.next()
	ids = append(ids, string(back))
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("ULID %d %s not after %s", i, ids[i], ids[i-1])
		}
	}
	// Overflow of the random part moves to the next millisecond.
	g2 := &ulidGen{now: func() time.Time { return time.UnixMilli(5) }}
	g2.next()
	for i := range g2.last {
		g2.last[i] = 0xff
	}
	id, _ := g2.next()
	if decodeULIDTime(t, id) != 6 {
		t.Fatalf("overflow: %s", id)
	}
	// Known encoding: all-zero and all-one 128-bit values.
	if got := string(encodeULID([16]byte{})); got != "00000000000000000000000000" {
		t.Fatal(got)
	}
	var ones [16]byte
	for i := range ones {
		ones[i] = 0xff
	}
	if got := string(encodeULID(ones)); got != "7ZZZZZZZZZZZZZZZZZZZZZZZZZ" {
		t.Fatal(got)
	}
	if id, ok := ULID(); !ok || !ulidRE.Match(id) {
		t.Fatalf("ULID() = %q", id)
	}
}

func TestNanoID(t *testing.T) {
	if len(nanoAlphabet) != 64 {
		t.Fatalf("alphabet has %d symbols", len(nanoAlphabet))
	}
	for _, tt := range []struct{ n, want int32 }{{0, 21}, {-5, 21}, {1, 1}, {10, 10}, {MaxNanoIDLength, MaxNanoIDLength}} {
		id, ok := NanoID(tt.n)
		if !ok || int32(len(id)) != tt.want {
			t.Fatalf("NanoID(%d) = %q, %v", tt.n, id, ok)
		}
		for _, c := range id {
			if !strings.ContainsRune(nanoAlphabet, rune(c)) {
				t.Fatalf("symbol %q not in alphabet", c)
			}
		}
	}
	if _, ok := NanoID(MaxNanoIDLength + 1); ok {
		t.Fatal("over-long NanoID answered")
	}
}

func TestKSUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9A-Za-z]{27}$`)
	var prev string
	for i, sec := range []int64{1400000000, 1500000000, 1700000000, 1700000001, 1400000000 + 0xffffffff} {
		id, ok := newKSUID(time.Unix(sec, 0))
		if !ok || !re.Match(id) {
			t.Fatalf("KSUID %q, %v", id, ok)
		}
		// Decode the base62 back to 20 bytes and read the timestamp.
		var n big.Int
		for _, c := range id {
			n.Mul(&n, big.NewInt(62))
			n.Add(&n, big.NewInt(int64(strings.IndexByte(base62, c))))
		}
		b := n.FillBytes(make([]byte, 20))
		if got := int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3]); got != sec-ksuidEpoch {
			t.Fatalf("timestamp %d, want %d", got, sec-ksuidEpoch)
		}
		if i > 0 && string(id) <= prev {
			t.Fatalf("KSUID for %d (%s) not after %s", sec, id, prev)
		}
		prev = string(id)
	}
	// Known encoding: the maximum KSUID.
	var max [20]byte
	for i := range max {
		max[i] = 0xff
	}
	if got := string(encodeKSUID(max)); got != "aWgEPTl1tmebfsQzFP4bxwgy80V" {
		t.Fatalf("max KSUID = %s", got)
	}
	if _, ok := newKSUID(time.Unix(ksuidEpoch-1, 0)); ok {
		t.Fatal("KSUID before its epoch answered")
	}
	if id, ok := KSUID(); !ok || len(id) != 27 {
		t.Fatalf("KSUID() = %q", id)
	}
}

func TestSnowflakeUniqueAcrossGoroutines(t *testing.T) {
	const workers, each = 8, 5000
	g := NewSnowflakeGen(42)
	var mu sync.Mutex
	var all []int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]int64, 0, each)
			for i := 0; i < each; i++ {
				local = append(local, g.Next())
			}
			for i := 1; i < len(local); i++ {
				if local[i] <= local[i-1] {
					t.Errorf("not monotonic: %d after %d", local[i], local[i-1])
					return
				}
			}
			mu.Lock()
			all = append(all, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(all)
	if n := len(slices.Compact(all)); n != workers*each {
		t.Fatalf("%d unique of %d", n, workers*each)
	}
	id := all[0]
	if worker := id >> 12 & 1023; worker != 42 {
		t.Fatalf("worker bits %d", worker)
	}
	if ms := id>>22 + SnowflakeEpochMs; time.Since(time.UnixMilli(ms)) > time.Minute {
		t.Fatalf("timestamp %v", time.UnixMilli(ms))
	}
}

func TestSnowflakeSequenceOverflowAndClockBack(t *testing.T) {
	clock := time.UnixMilli(SnowflakeEpochMs + 1000)
	g := NewSnowflakeGen(1)
	g.now = func() time.Time { return clock }
	var prev int64
	for i := 0; i < 3*(snowflakeMaxSeq+1); i++ { // overflows the sequence twice
		id := g.Next()
		if id <= prev {
			t.Fatalf("id %d not after %d", id, prev)
		}
		prev = id
	}
	clock = clock.Add(-time.Hour)
	if id := g.Next(); id <= prev {
		t.Fatal("clock step back broke monotonicity")
	}
	s, ok := Snowflake()
	if _, err := strconv.ParseInt(string(s), 10, 64); !ok || err != nil {
		t.Fatalf("Snowflake() = %q", s)
	}
}

func TestTimestampFormats(t *testing.T) {
	now := time.Now()
	tests := []struct {
		format string
		parse  func(string) (time.Time, error)
	}{
		{"unix", func(s string) (time.Time, error) { n, err := strconv.ParseInt(s, 10, 64); return time.Unix(n, 0), err }},
		{"ms", func(s string) (time.Time, error) {
			n, err := strconv.ParseInt(s, 10, 64)
			return time.UnixMilli(n), err
		}},
		{"ns", func(s string) (time.Time, error) { n, err := strconv.ParseInt(s, 10, 64); return time.Unix(0, n), err }},
		{"rfc3339", func(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }},
		{"http", func(s string) (time.Time, error) { return time.Parse(httpTimeFormat, s) }},
		{"iso8601", func(s string) (time.Time, error) { return time.Parse("2006-01-02T15:04:05.000Z07:00", s) }},
		{"unknown", func(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }},
	}
	for _, tt := range tests {
		out, ok := Timestamp([]byte(`{"format":"` + tt.format + `"}`))
		if !ok {
			t.Fatalf("%s: no result", tt.format)
		}
		got, err := tt.parse(string(out))
		if err != nil || got.Sub(now).Abs() > 2*time.Second {
			t.Fatalf("%s: %q parsed to %v (%v)", tt.format, out, got, err)
		}
	}
	if out, ok := Timestamp(nil); !ok || !strings.HasSuffix(string(out), "Z") {
		t.Fatalf("empty args: %q", out)
	}
}

func TestOpsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, op := range Ops() {
		if seen[op.Name] {
			t.Fatalf("duplicate op %s", op.Name)
		}
		seen[op.Name] = true
		set := 0
		for _, f := range []bool{op.Bytes != nil, op.Int != nil, op.None != nil} {
			if f {
				set++
			}
		}
		want := map[Kind]bool{KindBytes: op.Bytes != nil, KindInt: op.Int != nil, KindNone: op.None != nil}
		if set != 1 || !want[op.Kind] {
			t.Fatalf("op %s: kind %d does not match its function", op.Name, op.Kind)
		}
		if op.Kind == KindNone {
			if out, ok := op.None(); !ok || len(out) == 0 {
				t.Fatalf("%s() = %q, %v", op.Name, out, ok)
			}
		}
	}
	if len(seen) != 19 {
		t.Fatalf("%d ops, want 19", len(seen))
	}
	if _, ok := Find("crypto_hash"); !ok {
		t.Fatal("Find(crypto_hash) failed")
	}
}

// Reference encoders with math/big, independent of the shift/limb code.
func refBase(b []byte, width int, alphabet string) string {
	var n, digit big.Int
	n.SetBytes(b)
	base := big.NewInt(int64(len(alphabet)))
	out := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		n.DivMod(&n, base, &digit)
		out[i] = alphabet[digit.Int64()]
	}
	return string(out)
}

func FuzzIDEncodings(f *testing.F) {
	f.Add(make([]byte, 20))
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Add([]byte("0123456789abcdefghij"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var u [16]byte
		var k [20]byte
		copy(u[:], in)
		copy(k[:], in)
		if got, want := string(encodeULID(u)), refBase(u[:], 26, crockford); got != want {
			t.Fatalf("encodeULID(%x) = %s, want %s", u, got, want)
		}
		if got, want := string(encodeKSUID(k)), refBase(k[:], 27, base62); got != want {
			t.Fatalf("encodeKSUID(%x) = %s, want %s", k, got, want)
		}
	})
}
