package workloads

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// VerifySpec is one item of the workload's verify list: a check of what a
// key holds in the final store, after the measured phase.
type VerifySpec struct {
	Check      // Name, the test and its subject (the stored value)
	Node, Site string
	Key        *Template
	// Scenario, when set, makes the item one check per worker of that
	// scenario: {{worker}} is the worker's number and {{responses}} how
	// many responses with an expected status it received (warmup
	// included), so that a counter with one key per worker can prove that
	// no increment was lost.
	Scenario string
	// Default, when set, is the value a missing key is judged as (a
	// counter that never counted holds 0); nil: a missing key fails
	// every test but absent.
	Default *string
}

// verifyVars are the variables of verify templates.
var verifyVars = []string{"worker", "responses", "node", "site"}

func (d *decoder) verifyList(n *yaml.Node, w *Workload) []VerifySpec {
	var out []VerifySpec
	seen := map[string]bool{}
	for i, it := range d.list(n, "verify") {
		p := idx("verify", i)
		d.scope()
		c := d.check(it, p, []string{"node", "site", "key", "scenario", "default"})
		if c == nil {
			continue
		}
		f := d.fields(it, p, append([]string{"name", "json_path", "node", "site", "key", "scenario", "default"}, verifyTests...)...)
		v := VerifySpec{Check: *c}
		v.Node = d.nodeRef(f, it, p, w)
		if ns := w.node(v.Node); d.ok() && ns != nil && !ns.Spark {
			d.failf(it, p+".node", nil, "node %q has spark: false: no store to verify", v.Node)
		}
		v.Site = d.siteRef(f, it, p, w)
		kv, ok := f["key"]
		if !ok {
			d.failf(it, p, nil, "missing key (the Spark key to check; a template such as hits:{{worker}})")
			continue
		}
		v.Key = d.template(kv.val, p+".key")
		if dv, ok := f["default"]; ok {
			s := d.str(dv.val, p+".default")
			v.Default = &s
		}
		if sv, ok := f["scenario"]; ok {
			v.Scenario = d.nonEmpty(sv.val, p+".scenario")
			var names []string
			for _, sc := range w.Scenarios {
				names = append(names, sc.Name)
			}
			if d.ok() && !slices.Contains(names, v.Scenario) {
				d.failf(sv.val, p+".scenario", nil, "unknown scenario %q (known: %s)", v.Scenario, strings.Join(names, ", "))
			}
		}
		if _, named := f["name"]; !named && v.Key != nil {
			v.Name = "verify." + v.Key.Src
			if c.Test != TestPresent {
				v.Name += "." + strings.TrimPrefix(c.Name, "value.")
			}
		}
		if d.ok() && seen[v.Name] {
			d.failf(it, p, nil, "duplicate check name %q (give each item its own name:)", v.Name)
		}
		seen[v.Name] = true
		for _, t := range []struct {
			tmpl *Template
			path string
		}{{v.Key, p + ".key"}, {v.Value, p + "." + testField(c.Test)}} {
			if t.tmpl == nil || !d.ok() {
				continue
			}
			for _, name := range t.tmpl.Names() {
				perWorker := name == "worker" || name == "responses"
				if !slices.Contains(verifyVars, name) || perWorker && v.Scenario == "" {
					d.failf(it, t.path, nil, "unknown variable {{%s}} (verify knows {{node}}, {{site}}, and with scenario: set {{worker}} and {{responses}})", name)
				}
			}
		}
		if d.ok() {
			out = append(out, v)
		}
	}
	return out
}

// testField is the file field of a test, for error paths.
func testField(t CheckTest) string {
	return [...]string{"equals", "contains", "regex", "present", "size"}[t]
}
