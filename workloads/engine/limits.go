package engine

import (
	"time"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/store"
	"github.com/sparkbench/sparkbench/workloads"
)

// hostLimits returns the host limits: defaults with the file's overrides.
func hostLimits(w *workloads.Workload) host.Limits {
	l := host.DefaultLimits()
	ws := w.Limits
	if ws.MaxReadsPerInvocation > 0 {
		l.MaxReadsPerInvocation = ws.MaxReadsPerInvocation
	}
	if ws.MaxWritesPerInvocation > 0 {
		l.MaxWritesPerInvocation = ws.MaxWritesPerInvocation
	}
	if ws.MaxPullsPerInvocation > 0 {
		l.MaxPullsPerInvocation = ws.MaxPullsPerInvocation
	}
	if ws.MaxPullKeys > 0 {
		l.MaxPullKeys = ws.MaxPullKeys
	}
	if ws.IsSet("invocation_timeout") {
		l.InvocationTimeout = ws.InvocationTimeout
	}
	if ws.MaxMemoryPages > 0 {
		l.MaxMemoryPages = ws.MaxMemoryPages
	}
	l.MaxValueBytes = int(ws.MaxValueBytes)
	l.MaxTTLSecs = int64(ws.MaxTTL / time.Second)
	return l
}

// limitConfig lists the configured value of every enforced limit, named as
// host.Limit names them, for the enforcement table.
func limitConfig(w *workloads.Workload, l host.Limits) []reports.LimitConfig {
	def := store.DefaultOptions()
	valueBytes, ttl, quota := int64(def.MaxValueBytes), def.MaxTTLSecs, def.SiteQuotaBytes
	if w.Limits.MaxValueBytes > 0 {
		valueBytes = w.Limits.MaxValueBytes
	}
	if w.Limits.MaxTTL > 0 {
		ttl = int64(w.Limits.MaxTTL / time.Second)
	}
	if w.Limits.SiteQuota > 0 {
		quota = w.Limits.SiteQuota
	}
	vals := map[host.Limit]int64{
		host.LimitReads:      int64(l.MaxReadsPerInvocation),
		host.LimitWrites:     int64(l.MaxWritesPerInvocation),
		host.LimitPulls:      int64(l.MaxPullsPerInvocation),
		host.LimitPullKeys:   int64(l.MaxPullKeys),
		host.LimitValueBytes: valueBytes,
		host.LimitQuota:      quota,
		host.LimitTTL:        ttl,
		host.LimitTimeout:    int64(l.InvocationTimeout),
		host.LimitMemory:     int64(l.MaxMemoryPages),
	}
	var out []reports.LimitConfig
	for lim := host.LimitReads; lim <= host.LimitMemory; lim++ {
		if v, ok := vals[lim]; ok {
			out = append(out, reports.LimitConfig{Name: lim.String(), Value: v})
		}
	}
	return out
}
