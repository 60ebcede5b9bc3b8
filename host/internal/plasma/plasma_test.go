package plasma

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

func TestSetGetDelete(t *testing.T) {
	s := New(0)
	tests := []struct {
		name  string
		key   string
		value string
		code  int32
	}{
		{"plain", "user:1", "v1", OK},
		{"empty value", "empty", "", OK},
		{"overwrite", "user:1", "v2", OK},
		{"unicode key", "clé", "x", OK},
		{"quote key", `a"b\c`, "x", OK},
		{"empty key", "", "x", BadKey},
		{"long key", strings.Repeat("k", MaxKeyBytes+1), "x", BadKey},
		{"control char", "a\nb", "x", BadKey},
		{"invalid utf8", "\xff", "x", BadKey},
		{"too large", "big", strings.Repeat("v", MaxValueBytes+1), TooLarge},
		{"max size", "max", strings.Repeat("v", MaxValueBytes), OK},
	}
	for _, tt := range tests {
		if got := s.Set([]byte(tt.key), []byte(tt.value)); got != tt.code {
			t.Fatalf("%s: Set = %d, want %d", tt.name, got, tt.code)
		}
	}
	if v, ok := s.Get([]byte("user:1")); !ok || string(v) != "v2" {
		t.Fatalf("Get = %q, %v", v, ok)
	}
	if v, ok := s.Get([]byte("empty")); !ok || len(v) != 0 {
		t.Fatalf("Get(empty) = %q, %v", v, ok)
	}
	if _, ok := s.Get([]byte("big")); ok {
		t.Fatal("refused Set stored a value")
	}
	// The store keeps its own copy.
	val := []byte("mutable")
	s.Set([]byte("m"), val)
	val[0] = 'X'
	got, _ := s.Get([]byte("m"))
	got[1] = 'Y'
	if again, _ := s.Get([]byte("m")); string(again) != "mutable" {
		t.Fatalf("store aliased caller memory: %q", again)
	}
	if c := s.Delete([]byte("user:1")); c != OK {
		t.Fatal(c)
	}
	if c := s.Delete([]byte("never-set")); c != OK {
		t.Fatal("delete of a missing key is not OK")
	}
	if c := s.Delete(nil); c != BadKey {
		t.Fatal("delete of an empty key is not BadKey")
	}
	if _, ok := s.Get([]byte("user:1")); ok {
		t.Fatal("deleted key still present")
	}
}

func TestCounters(t *testing.T) {
	s := New(0)
	steps := []struct {
		op    string
		delta int64
		want  int64
	}{
		{"inc", 1, 1}, {"inc", 41, 42}, {"dec", 2, 40}, {"dec", -10, 50}, {"inc", -60, -10},
	}
	for _, st := range steps {
		var got int64
		if st.op == "inc" {
			got = s.Increment([]byte("c"), st.delta)
		} else {
			got = s.Decrement([]byte("c"), st.delta)
		}
		if got != st.want {
			t.Fatalf("%s %d = %d, want %d", st.op, st.delta, got, st.want)
		}
		// plasma_get sees the same 8 bytes the increment returned.
		if v, _ := s.Get([]byte("c")); string(v) != string(EncodeCounter(st.want)) {
			t.Fatalf("stored %x, want %x", v, EncodeCounter(st.want))
		}
	}
	s.Set([]byte("text"), []byte("100"))
	if got := s.Increment([]byte("text"), 5); got != 105 {
		t.Fatalf("increment of decimal text = %d", got)
	}
	s.Set([]byte("junk"), []byte("not a number"))
	if got := s.Increment([]byte("junk"), 5); got != 5 {
		t.Fatalf("increment of junk = %d", got)
	}
	if _, ok := s.Add(nil, 1); ok {
		t.Fatal("Add with an empty key succeeded")
	}
	if got := s.Increment([]byte("max"), 1<<63-1); got != 1<<63-1 {
		t.Fatal(got)
	}
	if got := s.Increment([]byte("max"), 1); got != -1<<63 {
		t.Fatalf("overflow did not wrap: %d", got)
	}
	if CounterValue(EncodeCounter(-7)) != -7 {
		t.Fatal("EncodeCounter/CounterValue disagree")
	}
}

func TestSoakConcurrentIncrements(t *testing.T) {
	s := New(0)
	const goroutines = 16
	each := 2000
	if os.Getenv("SPARKBENCH_SOAK") == "1" {
		each = 500000 // CI soak: ~16M operations
	}
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				s.Increment([]byte("shared"), 3)
				s.Decrement([]byte("shared"), 1)
				if i%100 == 0 {
					s.Get([]byte("shared"))
					s.Set([]byte("other"), []byte{byte(g)})
					s.List()
				}
			}
		}(g)
	}
	wg.Wait()
	if got := s.Increment([]byte("shared"), 0); got != int64(goroutines*each*2) {
		t.Fatalf("counter = %d, want %d", got, int64(goroutines*each*2))
	}
}

func TestList(t *testing.T) {
	s := New(0)
	if got := string(s.List()); got != "[]" {
		t.Fatalf("empty List = %s", got)
	}
	keys := []string{"b", "a", `q"uote`, `back\slash`, "ünï"}
	for _, k := range keys {
		s.Set([]byte(k), []byte("v"))
	}
	var got []string
	if err := json.Unmarshal(s.List(), &got); err != nil {
		t.Fatalf("List is not JSON: %s: %v", s.List(), err)
	}
	want := []string{"a", "b", `back\slash`, `q"uote`, "ünï"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("List = %q, want %q", got, want)
	}
	if s.Len() != len(keys) {
		t.Fatalf("Len = %d", s.Len())
	}
}

func FuzzStore(f *testing.F) {
	f.Add([]byte("k"), []byte("v"), int64(1))
	f.Add([]byte("\x00"), []byte{}, int64(-1))
	f.Fuzz(func(t *testing.T, key, value []byte, delta int64) {
		s := New(0)
		code := s.Set(key, value)
		if v, ok := s.Get(key); (code == OK) != ok || (ok && string(v) != string(value)) {
			t.Fatalf("Set code %d, Get %q %v", code, v, ok)
		}
		s.Add(key, delta)
		var keys []string
		if err := json.Unmarshal(s.List(), &keys); err != nil {
			t.Fatalf("List not JSON: %v", err)
		}
		if code == OK && (len(keys) != 1 || keys[0] != string(key)) {
			t.Fatalf("List = %q", keys)
		}
	})
}

func BenchmarkIncrementParallel(b *testing.B) {
	s := New(0)
	b.RunParallel(func(pb *testing.PB) {
		key := []byte("counter")
		for pb.Next() {
			s.Increment(key, 1)
		}
	})
}

func BenchmarkGet(b *testing.B) {
	s := New(0)
	s.Set([]byte("k"), make([]byte, 64))
	key := []byte("k")
	b.ReportAllocs()
	for b.Loop() {
		s.Get(key)
	}
}

// TestCapacity: keys and values together never take more than the
// capacity; a write past it answers WriteLimit (a new counter: not ok),
// and deleting or shrinking gives the room back.
func TestCapacity(t *testing.T) {
	s := New(1000)
	val := make([]byte, 96) // with its 4-byte key, a tenth of the capacity
	n := 0
	for ; ; n++ {
		code := s.Set([]byte(fmt.Sprintf("k%03d", n)), val)
		if code == WriteLimit {
			break
		}
		if code != OK {
			t.Fatalf("set %d: code %d", n, code)
		}
	}
	if n != 10 || s.Used() != 1000 {
		t.Errorf("%d sets fit, %d bytes used; want 10 and 1000", n, s.Used())
	}
	if _, ok := s.Add([]byte("counter"), 1); ok {
		t.Errorf("a new counter was created past the capacity")
	}
	if code := s.Set([]byte("k000"), val[:16]); code != OK { // shrinks by 80
		t.Fatalf("overwrite smaller: %d", code)
	}
	if v, ok := s.Add([]byte("counter"), 5); !ok || v != 5 {
		t.Errorf("counter after room was made: %d %v", v, ok)
	}
	if code := s.Delete([]byte("k001")); code != OK {
		t.Fatal(code)
	}
	if want := int64(1000 - 80 + len("counter") + 8 - 100); s.Used() != want {
		t.Errorf("used %d, want %d", s.Used(), want)
	}
	if s.Used() > 1000 {
		t.Errorf("used %d past the capacity", s.Used())
	}
}
