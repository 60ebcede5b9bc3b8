package wasmscan

import (
	"testing"
)

// module: type section with () -> (), one import flaron/v1.spark_get, one
// memory export.
var sample = []byte{
	0, 'a', 's', 'm', 1, 0, 0, 0,
	1, 4, 1, 0x60, 0, 0,
	2, 23, 1, 9, 'f', 'l', 'a', 'r', 'o', 'n', '/', 'v', '1', 9, 's', 'p', 'a', 'r', 'k', '_', 'g', 'e', 't', 0, 0,
	5, 3, 1, 0, 1,
	7, 10, 1, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0,
}

func TestScan(t *testing.T) {
	imps, exps, err := Scan(sample)
	if err != nil {
		t.Fatal(err)
	}
	if len(imps) != 1 || imps[0] != (Import{Module: "flaron/v1", Name: "spark_get", Kind: 0}) {
		t.Errorf("imports %+v", imps)
	}
	if len(exps) != 1 || exps[0].Name != "memory" || KindName(exps[0].Kind) != "memory" {
		t.Errorf("exports %+v", exps)
	}
	// A prefix cut inside the import section is an error, not a short list.
	if _, _, err := Scan(sample[:30]); err == nil {
		t.Error("truncated import section accepted")
	}
	if _, _, err := Scan([]byte("\x00asm\x02\x00\x00\x00")); err != ErrNotWasm {
		t.Errorf("version 2 accepted: %v", err)
	}
}

func FuzzScan(f *testing.F) {
	f.Add(sample)
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Scan(b) // must not panic or hang
	})
}
