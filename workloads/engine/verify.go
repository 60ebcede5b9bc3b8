package engine

import (
	"fmt"
	"time"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/workloads"
)

// VerifyScenario is the scenario label of the verify items' results.
const VerifyScenario = "verify"

// verifyFailure is one failed verify evaluation, for the report's
// samples.
type verifyFailure struct {
	name, node, site, key, why string
	value                      []byte
	found                      bool
	ttl                        uint32
}

// verify evaluates the workload's verify items on the stores as the
// measured phase left them, one recorder per node, and returns the
// recorders and the failures.
func (r *run) verify() ([]*reports.Recorder, []verifyFailure) {
	w := r.w
	if len(w.Verify) == 0 {
		return nil, nil
	}
	recs := map[string]*reports.Recorder{}
	var out []*reports.Recorder
	var failures []verifyFailure
	var k checker
	for i := range w.Verify {
		v := &w.Verify[i]
		rec := recs[v.Node]
		if rec == nil {
			rec = reports.NewRecorder(reports.Labels{Scenario: VerifyScenario, Node: v.Node, Backend: r.backend.String()}, r.start)
			recs[v.Node] = rec
			out = append(out, rec)
		}
		id := rec.CheckID(v.Name)
		st := r.stores[v.Node]
		if st == nil {
			continue
		}
		site := st.Site(v.Site)
		var answered []paddedCount
		workers := 1
		if v.Scenario != "" {
			for _, rt := range r.scenarios {
				if rt.spec.Name == v.Scenario {
					answered, workers = rt.answered, len(rt.answered)
				}
			}
		}
		resolve := func(name string) (int, string, bool) {
			switch name {
			case "worker":
				return 0, "", true
			case "responses":
				return 1, "", true
			case "node":
				return -1, v.Node, true
			case "site":
				return -1, v.Site, true
			}
			return 0, "", false
		}
		key, err1 := v.Key.Bind(resolve)
		c := checkRT{spec: &v.Check}
		var err2 error
		if v.Value != nil {
			if c.value, err2 = v.Value.Bind(resolve); err2 == nil {
				c.constant, c.isConstant = c.value.Constant()
			}
		}
		if err1 != nil || err2 != nil {
			continue // the parser checked the variables
		}
		vals := make([]int64, 2)
		for wid := 0; wid < workers; wid++ {
			vals[0] = int64(wid)
			if answered != nil {
				vals[1] = answered[wid].n.Load()
			}
			kb := key.Append(nil, vals)
			value, ttl, found := site.Get(kb)
			if !found && v.Default != nil && v.Test != workloads.TestPresent {
				value, found = []byte(*v.Default), true
			}
			var pass bool
			var why string
			switch {
			case v.Subject == workloads.SubjectBody && v.Test == workloads.TestPresent:
				pass = found == v.Present
				why = presentWhy("key", found)
			case !found:
				why = "key missing"
			default:
				k.reset()
				pass, why = k.eval(&c, &host.Response{Body: value}, vals)
			}
			rec.RecordCheck(id, pass)
			if !pass {
				if why == "not equal" && c.value != nil {
					why = fmt.Sprintf("want %q", c.value.String(vals))
				}
				failures = append(failures, verifyFailure{name: v.Name, node: v.Node, site: v.Site, key: string(kb), why: why,
					value: append([]byte(nil), value...), found: found, ttl: ttl})
			}
		}
	}
	return out, failures
}

// ttlString shows a remaining TTL: "no expiry" or "59s".
func ttlString(secs uint32) string {
	if secs == 0 {
		return "no expiry"
	}
	return (time.Duration(secs) * time.Second).String()
}
