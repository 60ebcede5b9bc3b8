package engine

import (
	"context"
	"testing"

	"github.com/sparkbench/sparkbench/reports"

	"github.com/sparkbench/sparkbench/workloads"
)

// quotaFillSrc fills a 16 KiB quota with 256 B values under fresh keys,
// one write at a time, in well under a second: about 60 writes fit, the
// rest are refused with quota_exceeded.
const quotaFillSrc = `
name: quota-fill
seed: 3
warmup: 0s
store: {backend: memory}
limits: {site_quota: 16KiB}
sites: [{domain: q.example, capabilities: [writes_spark_kv]}]
scenarios:
  - name: fill
    flare: builtin:kvops
    executor: {type: closed, vus: 1, iterations: 300}
    request:
      method: POST
      url: "https://q.example/kv"
      body: "set k{{seq}} 256 0"
`

// TestQuotaBandsUseFillAtWrite: every spark_set is attributed to the quota
// fill when it happened, so the bands fill up in order and refusals appear
// only once the site is full. With a fill sampled once per second, every
// write of this sub-second run landed in the first band.
func TestQuotaBandsUseFillAtWrite(t *testing.T) {
	w, err := workloads.Parse("quota-fill.yaml", []byte(quotaFillSrc))
	if err != nil {
		t.Fatal(err)
	}
	run, err := Run(context.Background(), w, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	sets := run.Op(reports.OpSparkSet)
	bands := run.Pressure()
	var writes, refused int64
	for i, b := range bands {
		writes += b.Writes
		refused += b.QuotaExceeded
		if b.Writes == 0 {
			t.Errorf("band %d%%: no writes (each band is crossed on the way to full)", b.Lo)
		}
		if i < len(bands)-1 && b.QuotaExceeded > 0 {
			t.Errorf("band %d%%: %d of %d writes refused; refusals belong in the full band", b.Lo, b.QuotaExceeded, b.Writes)
		}
	}
	if writes != sets.Count() {
		t.Errorf("bands hold %d writes, spark_set has %d samples", writes, sets.Count())
	}
	if refused < 200 || refused != bands[len(bands)-1].QuotaExceeded {
		t.Errorf("%d refusals, %d in the top band; want > 200, all in the top band", refused, bands[len(bands)-1].QuotaExceeded)
	}
}
