package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/sparkbench/sparkbench/workloads"
)

// TestRunRefusesEmptyShard: Run derives the shard itself, so it refuses a
// shard with nothing to do as the CLI does, before opening anything.
func TestRunRefusesEmptyShard(t *testing.T) {
	w, err := workloads.Parse("r.yaml", []byte(`
store: {backend: memory}
sites: [{domain: a.example, capabilities: [writes_spark_kv]}]
scenarios:
  - name: slow
    flare: builtin:counter
    executor: {type: constant-arrival-rate, rate: 3/s, duration: 1s}
`))
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.Shard = workloads.Shard{Index: 3, Count: 4}
	_, err = Run(context.Background(), w, opts)
	var fe *workloads.FieldError
	if !errors.As(err, &fe) || fe.Path != "scenarios.0.executor.rate" {
		t.Fatalf("err = %v, want a FieldError on the rate", err)
	}
}
