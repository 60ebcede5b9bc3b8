package workloads

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// expectScenario is a valid workload whose one scenario ends with expect
// (indented under the scenario) and the rest of the file after it.
func expectScenario(expect, rest string) string {
	return "sites: [{domain: a.example, capabilities: [writes_spark_kv]}]\n" +
		"scenarios:\n  - name: s\n    flare: builtin:kvops\n    executor: {type: closed, vus: 2, iterations: 10}\n" +
		"    vars: {k: {dist: uniform, n: 10}}\n" +
		"    request: {method: POST, body: \"get k{{k}}\"}\n" +
		"    expect:\n" + expect + rest
}

func TestParseChecks(t *testing.T) {
	src := expectScenario(`      status: [200, 404]
      checks:
        - {name: hit, contains: "get hit"}
        - {regex: '^get (hit|miss)'}
        - {header: x-cache, equals: HIT}
        - {header: X-Request-Id, present: true}
        - {json_path: $.user.id, equals: "u{{k}}"}
        - {name: small, size: {min: 1, max: 1KiB}}
`, `thresholds: {checks: "> 99.9%", checks.hit: "== 100%"}
`)
	w, err := Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cs := w.Scenarios[0].Checks
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	want := "hit body.regex header.x-cache.equals header.x-request-id json_path.$.user.id.equals small"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("names %q, want %q", got, want)
	}
	if cs[0].Test != TestContains || cs[0].Value.Src != "get hit" {
		t.Errorf("check 0: %+v", cs[0])
	}
	if cs[3].Subject != SubjectHeader || cs[3].Test != TestPresent || !cs[3].Present {
		t.Errorf("check 3: %+v", cs[3])
	}
	if cs[4].Subject != SubjectJSONPath || cs[4].Value.Names()[0] != "k" {
		t.Errorf("check 4: %+v", cs[4])
	}
	if cs[5].Min != 1 || cs[5].Max != 1024 {
		t.Errorf("check 5: %+v", cs[5])
	}
	if got := w.Scenarios[0].Expect; len(got) != 2 || got[1] != 404 {
		t.Errorf("statuses %v", got)
	}
}

// TestParseCheckErrors keeps every hostile check that reaches an error
// path: each must name the file, line, column and field.
func TestParseCheckErrors(t *testing.T) {
	cases := []struct{ name, expect, rest, want string }{
		{"invalid regex", "      checks: [{regex: 'a(b'}]\n", "", "f.yaml:9:24: scenarios.0.expect.checks.0.regex: invalid regex: missing closing ): `a(b`"},
		{"regex template", "      checks: [{regex: '^{{k}}$'}]\n", "", "scenarios.0.expect.checks.0.regex: a regex is compiled once and cannot use {{k}}"},
		{"bad json path", "      checks: [{json_path: '$.a[', equals: 1}]\n", "", "f.yaml:9:28: scenarios.0.expect.checks.0.json_path: not a JSON path"},
		{"json path without $", "      checks: [{json_path: 'a.b', equals: 1}]\n", "", "scenarios.0.expect.checks.0.json_path: not a JSON path"},
		{"unknown field", "      checks: [{bodyy: x, equals: y}]\n", "", "f.yaml:9:17: scenarios.0.expect.checks.0.bodyy: unknown field (known: contains, equals, header, json_path, name, present, regex, size)"},
		{"unknown expect field", "      statuses: [200]\n", "", "f.yaml:9:7: scenarios.0.expect.statuses: unknown field (known: checks, status)"},
		{"no test", "      checks: [{header: x-a}]\n", "", "scenarios.0.expect.checks.0: want exactly one test (equals, contains, regex, present, size), got 0"},
		{"two tests", "      checks: [{equals: a, contains: b}]\n", "", "f.yaml:9:28: scenarios.0.expect.checks.0: want exactly one test"},
		{"present on body", "      checks: [{present: true}]\n", "", "scenarios.0.expect.checks.0.present: present applies to a header or a json_path"},
		{"size on header", "      checks: [{header: x-a, size: {max: 1}}]\n", "", "scenarios.0.expect.checks.0.size: size applies to the body only"},
		{"size min above max", "      checks: [{size: {min: 10, max: 1}}]\n", "", "scenarios.0.expect.checks.0.size: min 10 is above max 1"},
		{"bad header name", "      checks: [{header: 'x a', equals: b}]\n", "", `scenarios.0.expect.checks.0.header: "x a" is not a header name`},
		{"header and path", "      checks: [{header: x, json_path: $.a, equals: b}]\n", "", "scenarios.0.expect.checks.0.json_path: give header or json_path, not both"},
		{"unknown variable", "      checks: [{equals: '{{nope}}'}]\n", "", "scenarios.0.expect.checks.0.equals: unknown variable {{nope}}"},
		{"duplicate name", "      checks: [{contains: a}, {contains: b}]\n", "", `scenarios.0.expect.checks.1: duplicate check name "body.contains"`},
		{"name with space", "      checks: [{name: 'a b', contains: a}]\n", "", "scenarios.0.expect.checks.0.name: check names are one word"},
		{"threshold on unknown check", "      checks: [{name: a, contains: a}]\n", "thresholds: {checks.b: \"> 99%\"}\n", `thresholds.checks.b: no check named "b" (known: a)`},
		{"threshold without percent", "      checks: [{name: a, contains: a}]\n", "thresholds: {checks: \"> 0.99\"}\n", "thresholds.checks: invalid threshold \"checks\": expression \"> 0.99\": want a percentage such as 99.9%"},
		{"threshold above 100", "      checks: [{name: a, contains: a}]\n", "thresholds: {checks.a: \"> 101%\"}\n", "want a percentage"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Parse(filepath.Join(dir, "f.yaml"), []byte(expectScenario(c.expect, c.rest)))
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			msg := strings.ReplaceAll(err.Error(), dir+"/", "")
			if !strings.Contains(msg, c.want) {
				t.Errorf("error\n  %s\nwant it to contain\n  %s", msg, c.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Line == 0 {
				t.Errorf("not a positioned *FieldError: %#v", err)
			}
		})
	}
}

// TestParseReportsEveryError: validate shows every error of a file, each
// on its line, in file order, not only the first.
func TestParseReportsEveryError(t *testing.T) {
	src := `duration: 10 parsecs
nmae: x
sites: [{domain: a.example}]
scenarios:
  - name: a
    flare: builtin:counter
    executor: {type: closed, vus: 0}
  - name: b
    flare: builtin:nope
    executor: {type: closed, vus: 1}
    expect: {checks: [{regex: '('}]}
thresholds: {nope.p99: "< 1ms", checks: "> 1"}
`
	_, err := Parse("f.yaml", []byte(src))
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("want Errors, got %v", err)
	}
	want := []string{
		"f.yaml:1:11: duration:",
		"f.yaml:2:1: nmae: unknown field",
		"f.yaml:7:35: scenarios.0.executor.vus: must be >= 1",
		"f.yaml:9:12: scenarios.1.flare: unknown built-in flare",
		"f.yaml:11:31: scenarios.1.expect.checks.0.regex: invalid regex",
		"f.yaml:12:24: thresholds.nope.p99:",
		"f.yaml:12:41: thresholds.checks:",
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d errors, want %d:\n%s", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d: %q, want prefix %q", i, lines[i], w)
		}
	}
}

func TestParseVerify(t *testing.T) {
	src := expectScenario("      status: [200]\n", `verify:
  - {name: counted, scenario: s, key: "hits:{{worker}}", equals: "{{responses}}"}
  - {key: gone, absent: true}
  - {key: doc, json_path: $.n, equals: 3}
thresholds: {checks.counted: "== 100%"}
`)
	w, err := Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Verify) != 3 {
		t.Fatalf("verify %+v", w.Verify)
	}
	v := w.Verify[0]
	if v.Scenario != "s" || v.Site != "a.example" || v.Node != "edge" || v.Key.Src != "hits:{{worker}}" || v.Test != TestEquals {
		t.Errorf("item 0: %+v", v)
	}
	if v := w.Verify[1]; v.Name != "verify.gone" || v.Test != TestPresent || v.Present {
		t.Errorf("item 1: %+v", v)
	}
	if v := w.Verify[2]; v.Name != "verify.doc.json_path.$.n.equals" || v.Subject != SubjectJSONPath {
		t.Errorf("item 2: %+v", v)
	}
	bad := []struct{ verify, want string }{
		{"  - {key: k, equals: '{{worker}}'}\n", "verify.0.equals: unknown variable {{worker}}"},
		{"  - {key: k, scenario: nope, equals: 1}\n", `verify.0.scenario: unknown scenario "nope" (known: s)`},
		{"  - {equals: 1}\n", "verify.0: missing key"},
		{"  - {key: k, header: x, equals: 1}\n", "verify.0.header: unknown field"},
		{"  - {key: k, regex: '['}\n", "verify.0.regex: invalid regex"},
	}
	for _, b := range bad {
		_, err := Parse("f.yaml", []byte(expectScenario("      status: [200]\n", "verify:\n"+b.verify)))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("verify %q: error %v, want %q", b.verify, err, b.want)
		}
	}
}
