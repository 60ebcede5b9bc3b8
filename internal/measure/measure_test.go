package measure

import "testing"

func TestOpNamesRoundTrip(t *testing.T) {
	if len(OpNames()) != int(NumOps) {
		t.Fatalf("%d names for %d ops", len(OpNames()), NumOps)
	}
	for op := Op(0); op < NumOps; op++ {
		if got, ok := ParseOp(op.String()); !ok || got != op {
			t.Errorf("ParseOp(%q) = %v, %v", op, got, ok)
		}
	}
	if _, ok := ParseOp("spark_nope"); ok {
		t.Error("ParseOp accepted spark_nope")
	}
	if s := NumOps.String(); s != "op(9)" {
		t.Errorf("unknown op is %q", s)
	}
	names := OpNames()
	names[0] = "changed"
	if OpSparkGet.String() != "spark_get" {
		t.Error("OpNames handed out the package's own table")
	}
}

// TestCodeNames pins the names result files, thresholds (errors.CODE) and
// the store's Code.String use: changing one breaks stored results.
func TestCodeNames(t *testing.T) {
	for code, want := range map[int32]string{
		-1: "miss", 0: "ok", 1: "invalid_ttl", 2: "too_large", 3: "write_limit",
		4: "quota_exceeded", 5: "not_available", 6: "internal", 7: "read_limit",
		8: "bad_key", 9: "no_capability",
		101: "trap", 102: "timeout", 103: "abi_violation", 104: "alloc_failed",
		105: "memory_limit", 106: "other", 90: "status",
	} {
		if got, ok := CodeName(code); !ok || got != want {
			t.Errorf("CodeName(%d) = %q, %v; want %q", code, got, ok, want)
		}
	}
	for _, code := range []int32{-2, 10, 89, 91, 99, 100, 107, 356, 1 << 30} {
		if got, ok := CodeName(code); ok {
			t.Errorf("CodeName(%d) = %q, want unknown", code, got)
		}
	}
	if n, _ := SparkCodeName(CodeQuotaExceeded); n != "quota_exceeded" {
		t.Errorf("CodeQuotaExceeded names %q", n)
	}
}

func TestInvocationCode(t *testing.T) {
	if InvocationCode(0) != CodeOK || InvocationCode(2) != 102 {
		t.Errorf("InvocationCode(0) = %d, (2) = %d", InvocationCode(0), InvocationCode(2))
	}
	for k := uint8(1); k <= 6; k++ {
		kn, _ := ErrorKindName(k)
		if cn, ok := CodeName(InvocationCode(k)); !ok || cn != kn {
			t.Errorf("kind %d: code names %q, kind %q", k, cn, kn)
		}
	}
}
