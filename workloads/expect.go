package workloads

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/theory/jsonpath"
	"go.yaml.in/yaml/v3"
)

// Check is one named test of a scenario's responses (expect.checks): a
// subject (the body, a header or a JSON path into the body) and one test.
type Check struct {
	Name    string
	Subject CheckSubject
	Header  string         // SubjectHeader: the header name
	Path    *jsonpath.Path // SubjectJSONPath: the RFC 9535 query
	Test    CheckTest
	// Value is the expected text of TestEquals and TestContains, a
	// template of the scenario's variables ({{k}}).
	Value *Template
	// Regex is TestRegex's pattern, compiled once (not a template).
	Regex *regexp.Regexp
	// Present is TestPresent's expectation: true = the header or JSON path
	// must be there, false = it must not.
	Present bool
	// Min and Max bound the body size of TestSize; Max < 0: no bound.
	Min, Max int64
	Pos      Pos    // of the check in the file
	path     string // its field path, for errors found after decoding
}

// CheckSubject is what a check looks at.
type CheckSubject int

// Check subjects.
const (
	SubjectBody     CheckSubject = iota // the response body
	SubjectHeader                       // one response header (its first value)
	SubjectJSONPath                     // the values a JSON path selects in the body
)

// CheckTest is how a check judges its subject.
type CheckTest int

// Check tests.
const (
	TestEquals   CheckTest = iota // the text equals Value
	TestContains                  // the text contains Value
	TestRegex                     // the text matches Regex
	TestPresent                   // the header or path is there (Present) or not
	TestSize                      // the body size is within Min..Max
)

// checkTests are the test fields of a check, one of which it must have;
// a verify item may also say absent (present: false).
var checkTests = []string{"equals", "contains", "regex", "present", "size"}

var verifyTests = append(slices.Clone(checkTests), "absent")

// expect decodes a scenario's expect: {status: [..], checks: [..]}.
func (d *decoder) expect(n *yaml.Node, p string, sc *ScenarioSpec) {
	ef := d.fields(n, p, "status", "checks")
	if sv, ok := ef["status"]; ok {
		sc.Expect = nil
		for j, s := range d.list(sv.val, p+".status") {
			code := d.intv(s, idx(p+".status", j), 100)
			if d.ok() && code > 599 {
				d.failf(s, idx(p+".status", j), nil, "must be an HTTP status (100..599)")
			}
			sc.Expect = append(sc.Expect, code)
		}
		if d.ok() && len(sc.Expect) == 0 {
			d.failf(sv.val, p+".status", nil, "must list at least one status")
		}
	}
	cv, ok := ef["checks"]
	if !ok {
		return
	}
	seen := map[string]bool{}
	for j, it := range d.list(cv.val, p+".checks") {
		d.scope() // each check's errors are its own
		c := d.check(it, idx(p+".checks", j), nil)
		if c == nil {
			continue
		}
		if seen[c.Name] {
			d.failf(it, idx(p+".checks", j), nil, "duplicate check name %q (give each check its own name:)", c.Name)
		}
		seen[c.Name] = true
		sc.Checks = append(sc.Checks, *c)
	}
}

// check decodes one check: an optional name, header: NAME or json_path:
// PATH (neither: the body), and exactly one test. For a verify item
// (verify != nil: its fields beside the check's) the subject is the
// stored value instead of the body, and there is no header.
func (d *decoder) check(n *yaml.Node, p string, verify []string) *Check {
	allowed, tests := []string{"name", "header", "json_path"}, checkTests
	subject := "body"
	if verify != nil {
		allowed, tests, subject = append([]string{"name", "json_path"}, verify...), verifyTests, "value"
	}
	whole := subject // what size applies to
	f := d.fields(n, p, append(allowed, tests...)...)
	if f == nil {
		return nil
	}
	c := &Check{Subject: SubjectBody, Max: -1, Pos: Pos{n.Line, n.Column}, path: p}
	if v, ok := f["header"]; ok {
		c.Subject, c.Header = SubjectHeader, d.nonEmpty(v.val, p+".header")
		if d.ok() && !validHeaderName(c.Header) {
			d.failf(v.val, p+".header", nil, "%q is not a header name", c.Header)
		}
		subject = "header." + strings.ToLower(c.Header)
	}
	if v, ok := f["json_path"]; ok {
		if _, both := f["header"]; both {
			d.failf(v.key, p+".json_path", nil, "give header or json_path, not both")
			return nil
		}
		src := d.nonEmpty(v.val, p+".json_path")
		if !d.ok() {
			return nil
		}
		path, err := jsonpath.Parse(src)
		if err != nil {
			d.failf(v.val, p+".json_path", err, "not a JSON path (RFC 9535, e.g. $.user.id): %s", strings.TrimPrefix(err.Error(), "jsonpath: "))
			return nil
		}
		c.Subject, c.Path = SubjectJSONPath, path
		subject = "json_path." + src
	}
	var given []string
	for _, t := range tests {
		if _, ok := f[t]; ok {
			given = append(given, t)
		}
	}
	if len(given) != 1 {
		at := n
		if len(given) > 1 {
			at = f[given[1]].key
		}
		d.failf(at, p, nil, "want exactly one test (%s), got %d", strings.Join(tests, ", "), len(given))
		return nil
	}
	test := given[0]
	tv := f[test]
	tp := p + "." + test
	switch test {
	case "equals", "contains":
		c.Test = TestEquals
		if test == "contains" {
			c.Test = TestContains
		}
		c.Value = d.template(tv.val, tp)
	case "regex":
		c.Test = TestRegex
		src, ok := d.scalar(tv.val, tp)
		if !ok {
			return nil
		}
		if t, err := ParseTemplate(src); err == nil && len(t.Names()) > 0 {
			d.failf(tv.val, tp, nil, "a regex is compiled once and cannot use {{%s}}; use equals or contains to compare with a variable", t.Names()[0])
			return nil
		}
		re, err := regexp.Compile(src)
		if err != nil {
			d.failf(tv.val, tp, err, "invalid regex: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			return nil
		}
		c.Regex = re
	case "present", "absent":
		c.Test = TestPresent
		if c.Subject == SubjectBody && verify == nil {
			d.failf(tv.key, tp, nil, "present applies to a header or a json_path (the body is always there; use size: {min: 1})")
			return nil
		}
		c.Present = d.boolv(tv.val, tp)
		if test == "absent" {
			c.Present = !c.Present
		}
	case "size":
		c.Test = TestSize
		if c.Subject != SubjectBody {
			d.failf(tv.key, tp, nil, "size applies to the %s only", whole)
			return nil
		}
		sf := d.fields(tv.val, tp, "min", "max")
		if v, ok := sf["min"]; ok {
			c.Min = d.size(v.val, tp+".min")
		}
		if v, ok := sf["max"]; ok {
			c.Max = d.size(v.val, tp+".max")
		}
		if d.ok() && len(sf) == 0 {
			d.failf(tv.val, tp, nil, "want min, max or both")
		}
		if d.ok() && c.Max >= 0 && c.Min > c.Max {
			d.failf(tv.val, tp, nil, "min %d is above max %d", c.Min, c.Max)
		}
	}
	c.Name = subject + "." + test
	if test == "present" || test == "absent" {
		c.Name = subject
	}
	if v, ok := f["name"]; ok {
		c.Name = d.nonEmpty(v.val, p+".name")
		if d.ok() && strings.ContainsAny(c.Name, " \t\n\"") {
			d.failf(v.val, p+".name", nil, "check names are one word (no spaces or quotes): they are threshold keys (checks.NAME)")
		}
	}
	if !d.ok() {
		return nil
	}
	return c
}

// validHeaderName reports whether s is an HTTP header name (an RFC 9110
// token).
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return s != ""
}

// CheckNames lists the names of every check of w (scenario checks and
// verify items), sorted and without duplicates: the NAMEs a checks.NAME
// threshold may use.
func (w *Workload) CheckNames() []string {
	var names []string
	for _, sc := range w.Scenarios {
		for _, c := range sc.Checks {
			names = append(names, c.Name)
		}
	}
	for _, v := range w.Verify {
		names = append(names, v.Name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// checkThresholdNames makes sure every checks.NAME threshold names a check
// of the workload.
func (d *decoder) checkThresholdNames(w *Workload, n *yaml.Node) {
	known := w.CheckNames()
	for _, p := range d.pairs(n, "thresholds") {
		d.scope() // each unknown name is an error of its own
		name, ok := strings.CutPrefix(p.key.Value, "checks.")
		if !ok || slices.Contains(known, name) {
			continue
		}
		hint := "the workload has no checks"
		if len(known) > 0 {
			hint = "known: " + strings.Join(known, ", ")
		}
		d.failf(p.key, join("thresholds", p.key.Value), nil, "no check named %q (%s)", name, hint)
	}
}

// String names the check's subject and test for reports: "header x-cache
// equals "HIT"".
func (c *Check) String() string {
	var s string
	switch c.Subject {
	case SubjectHeader:
		s = "header " + c.Header
	case SubjectJSONPath:
		s = "json_path " + c.Path.String()
	default:
		s = "body"
	}
	switch c.Test {
	case TestEquals:
		return fmt.Sprintf("%s equals %q", s, c.Value.Src)
	case TestContains:
		return fmt.Sprintf("%s contains %q", s, c.Value.Src)
	case TestRegex:
		return fmt.Sprintf("%s matches /%s/", s, c.Regex)
	case TestPresent:
		if c.Present {
			return s + " present"
		}
		return s + " absent"
	}
	if c.Max < 0 {
		return fmt.Sprintf("%s size >= %d", s, c.Min)
	}
	return fmt.Sprintf("%s size in %d..%d", s, c.Min, c.Max)
}
