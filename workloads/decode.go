package workloads

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder walks a yaml.Node tree, collecting errors with their positions.
// Within one part of the file (a top-level field, a list item) only the
// first error is kept, since later ones are often its consequences; scope
// starts the next part.
type decoder struct {
	file string
	err  *FieldError   // the current part's first error
	errs []*FieldError // every part's
}

// scope starts an independent part of the file: its errors are reported
// even when an earlier part had one.
func (d *decoder) scope() { d.err = nil }

// maxAliasDepth bounds alias resolution so hostile files cannot recurse.
const maxAliasDepth = 32

func (d *decoder) failf(n *yaml.Node, path string, cause error, format string, args ...any) {
	if d.err != nil {
		return
	}
	fe := &FieldError{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...), Err: cause}
	if n != nil {
		fe.Line, fe.Column = n.Line, n.Column
	}
	d.err = fe
	d.errs = append(d.errs, fe)
}

func (d *decoder) ok() bool { return d.err == nil }

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasDepth; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// field is one key of a mapping.
type field struct {
	key, val *yaml.Node
}

// fields checks that n is a mapping whose keys are all in allowed and
// returns them by name. Duplicate and unknown keys are errors.
func (d *decoder) fields(n *yaml.Node, path string, allowed ...string) map[string]field {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		if n == nil {
			d.failf(nil, path, nil, "alias nesting too deep")
		} else {
			d.failf(n, path, nil, "must be a mapping, got %s", kindName(n))
		}
		return nil
	}
	out := make(map[string]field, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.failf(k, path, nil, "mapping keys must be plain names")
			return nil
		}
		if k.Value == "<<" {
			d.failf(k, path, nil, "merge keys (<<) are not supported")
			return nil
		}
		if !slices.Contains(allowed, k.Value) {
			sorted := append([]string(nil), allowed...)
			sort.Strings(sorted)
			d.failf(k, join(path, k.Value), nil, "unknown field (known: %s)", strings.Join(sorted, ", "))
			continue // the known fields are still decoded, for their own errors
		}
		if _, dup := out[k.Value]; dup {
			d.failf(k, join(path, k.Value), nil, "duplicate field")
			return nil
		}
		out[k.Value] = field{k, v}
	}
	return out
}

// pairs returns the entries of a free-form mapping (vars, headers, secrets,
// thresholds) in file order.
func (d *decoder) pairs(n *yaml.Node, path string) []field {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.failf(n, path, nil, "must be a mapping, got %s", kindName(n))
		return nil
	}
	seen := map[string]bool{}
	var out []field
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			d.failf(k, path, nil, "keys must be non-empty names")
			return nil
		}
		if seen[k.Value] {
			d.failf(k, join(path, k.Value), nil, "duplicate key")
			return nil
		}
		seen[k.Value] = true
		out = append(out, field{k, n.Content[i+1]})
	}
	return out
}

// list checks that n is a sequence (or null: empty).
func (d *decoder) list(n *yaml.Node, path string) []*yaml.Node {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.failf(n, path, nil, "must be a list, got %s", kindName(n))
		return nil
	}
	return n.Content
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func idx(path string, i int) string { return path + "." + strconv.Itoa(i) }

func (d *decoder) scalar(n *yaml.Node, path string) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		if n == nil {
			d.failf(nil, path, nil, "alias nesting too deep")
		} else {
			d.failf(n, path, nil, "must be a single value, got %s", kindName(n))
		}
		return "", false
	}
	return n.Value, true
}

func (d *decoder) str(n *yaml.Node, path string) string {
	s, _ := d.scalar(n, path)
	return s
}

func (d *decoder) nonEmpty(n *yaml.Node, path string) string {
	s, ok := d.scalar(n, path)
	if ok && strings.TrimSpace(s) == "" {
		d.failf(n, path, nil, "must not be empty")
	}
	return s
}

func (d *decoder) int64v(n *yaml.Node, path string, min int64) int64 {
	s, ok := d.scalar(n, path)
	if !ok {
		return 0
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64)
	if err != nil {
		d.failf(n, path, nil, "must be an integer, got %q", s)
		return 0
	}
	if v < min {
		d.failf(n, path, nil, "must be >= %d, got %d", min, v)
	}
	return v
}

func (d *decoder) intv(n *yaml.Node, path string, min int64) int {
	v := d.int64v(n, path, min)
	if v > math.MaxInt32 {
		d.failf(n, path, nil, "too large: %d", v)
		return 0
	}
	return int(v)
}

func (d *decoder) floatv(n *yaml.Node, path string) float64 {
	s, ok := d.scalar(n, path)
	if !ok {
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		d.failf(n, path, nil, "must be a number, got %q", s)
		return 0
	}
	return v
}

func (d *decoder) boolv(n *yaml.Node, path string) bool {
	s, ok := d.scalar(n, path)
	if !ok {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true
	case "false", "no", "off":
		return false
	}
	d.failf(n, path, nil, "must be true or false, got %q", s)
	return false
}

// parsed decodes n's single value with parse, failing with parse's error;
// s is the value as written.
func parsed[T any](d *decoder, n *yaml.Node, path string, parse func(string) (T, error)) (v T, s string, ok bool) {
	if s, ok = d.scalar(n, path); !ok {
		return v, s, false
	}
	v, err := parse(s)
	if err != nil {
		d.failf(n, path, nil, "%v", err)
		var zero T
		return zero, s, false
	}
	return v, s, true
}

func (d *decoder) duration(n *yaml.Node, path string) time.Duration {
	v, s, ok := parsed(d, n, path, ParseDuration)
	if ok && v < 0 {
		d.failf(n, path, nil, "must not be negative, got %s", s)
	}
	return v
}

func (d *decoder) positiveDuration(n *yaml.Node, path string) time.Duration {
	v := d.duration(n, path)
	if d.ok() && v <= 0 {
		d.failf(n, path, nil, "must be > 0")
	}
	return v
}

func (d *decoder) size(n *yaml.Node, path string) int64 {
	v, _, _ := parsed(d, n, path, ParseSize)
	return v
}

func (d *decoder) rate(n *yaml.Node, path string, allowZero bool) float64 {
	v, s, ok := parsed(d, n, path, ParseRate)
	if !ok {
		return 0
	}
	if v < 0 || v == 0 && !allowZero {
		d.failf(n, path, nil, "must be > 0, got %s", s)
	}
	if v > 1e8 {
		d.failf(n, path, nil, "rate %s is above 100M/s", s)
	}
	return v
}

func (d *decoder) template(n *yaml.Node, path string) *Template {
	t, _, _ := parsed(d, n, path, ParseTemplate)
	return t
}

func (d *decoder) oneOf(n *yaml.Node, path string, allowed ...string) string {
	if i := d.choice(n, path, allowed); i >= 0 {
		return allowed[i]
	}
	return ""
}

// named decodes one of values by its name (String), as oneOf does names:
// the names a value is parsed from are the names it prints.
func named[T fmt.Stringer](d *decoder, n *yaml.Node, path string, values ...T) T {
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = v.String()
	}
	if i := d.choice(n, path, names); i >= 0 {
		return values[i]
	}
	var zero T
	return zero
}

// choice returns the index of n's value in allowed, or -1 after failing.
func (d *decoder) choice(n *yaml.Node, path string, allowed []string) int {
	s, ok := d.scalar(n, path)
	if !ok {
		return -1
	}
	if i := slices.Index(allowed, s); i >= 0 {
		return i
	}
	d.failf(n, path, nil, "unknown value %q (want one of %s)", s, strings.Join(allowed, ", "))
	return -1
}
