package workloads

import (
	"testing"
)

// Hand-assembled modules: one importing flaron/v1 spark_get only, one also
// importing spark_set. (type section: () -> (); import section.)
var (
	readOnlyWasm = module(imp("flaron/v1", "spark_get"))
	writingWasm  = module(imp("flaron/v1", "spark_get"), imp("flaron/v1", "spark_set"))
)

func imp(mod, name string) []byte {
	b := []byte{byte(len(mod))}
	b = append(b, mod...)
	b = append(b, byte(len(name)))
	b = append(b, name...)
	return append(b, 0x00, 0x00) // func, type 0
}

func module(imps ...[]byte) []byte {
	b := []byte("\x00asm\x01\x00\x00\x00")
	b = append(b, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00) // type section: one func type () -> ()
	var body []byte
	body = append(body, byte(len(imps)))
	for _, i := range imps {
		body = append(body, i...)
	}
	b = append(b, 0x02, byte(len(body)))
	return append(b, body...)
}

func TestWasmWritesSpark(t *testing.T) {
	if w, err := WasmWritesSpark(readOnlyWasm); err != nil || w {
		t.Errorf("read-only: %v %v", w, err)
	}
	if w, err := WasmWritesSpark(writingWasm); err != nil || !w {
		t.Errorf("writing: %v %v", w, err)
	}
	for _, name := range []string{"counter", "kvops"} {
		b, ok := BuiltinLookup(name)
		if !ok {
			t.Fatalf("builtin %s missing", name)
		}
		w, err := WasmWritesSpark(b)
		declared, _ := BuiltinWrites(name)
		if err != nil || w != declared {
			t.Errorf("builtin %s: imports say writes=%v (%v), table says %v", name, w, err, declared)
		}
	}
	if _, err := WasmWritesSpark(writingWasm[:20]); err == nil {
		t.Error("truncated module accepted")
	}
}
