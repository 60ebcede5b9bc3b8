package workloads

import (
	"errors"
	"testing"

	"github.com/sparkbench/sparkbench/flares"
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
	if _, err := WasmWritesSpark(writingWasm[:20]); err == nil {
		t.Error("truncated module accepted")
	}
}

// TestBuiltinFlaresNeedWrites: every reference flare writes Spark, so a
// scenario running one needs a site with writes_spark_kv; the parser finds
// that out from the module's imports, as for any flare. A flare that stops
// (or starts) writing changes what workloads need: update this list then.
func TestBuiltinFlaresNeedWrites(t *testing.T) {
	readOnly := map[string]bool{} // none of today's reference flares
	if len(flares.Names()) == 0 {
		t.Fatal("no built-in flares")
	}
	for _, name := range flares.Names() {
		src := "sites: [{domain: ro.example}]\nscenarios: [{flare: builtin:" + name + ", executor: {type: closed, vus: 1}}]\n"
		_, err := Parse("w.yaml", []byte(src))
		if readOnly[name] && err != nil {
			t.Errorf("%s: read-only flare refused on a read-only site: %v", name, err)
		}
		if !readOnly[name] && !errors.Is(err, ErrCapability) {
			t.Errorf("%s: a read-only site was not refused (err %v)", name, err)
		}
	}
}
