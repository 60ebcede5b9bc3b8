package edgeops

import (
	"testing"

	"github.com/sparkbench/sparkbench/host/internal/abi"
)

// TestOpsMatchABITable: every edgeops import of the ABI table has an op
// whose Kind fits its wasm signature, and every op is in the table, since
// the host dispatches on the table's parameter count.
func TestOpsMatchABITable(t *testing.T) {
	kindFor := map[int]Kind{2: KindBytes, 1: KindInt, 0: KindNone}
	inTable := map[string]bool{}
	for _, f := range abi.FlaronV1 {
		if f.Group != abi.GroupEdgeOps {
			continue
		}
		inTable[f.Name] = true
		op, ok := Find(f.Name)
		if !ok {
			t.Errorf("no op for %s", f)
			continue
		}
		if want, ok := kindFor[len(f.Params)]; !ok || op.Kind != want {
			t.Errorf("%s: op kind %d does not fit %s", f.Name, op.Kind, f)
		}
	}
	for _, op := range Ops() {
		if !inTable[op.Name] {
			t.Errorf("op %s is not an edgeops import of the ABI table", op.Name)
		}
	}
}
