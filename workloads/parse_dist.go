package workloads

import (
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sparkbench/sparkbench/workloads/internal/gen"
)

// intDist decodes a variable: a bare integer (constant) or a mapping with
// dist and its parameters.
func (d *decoder) intDist(n *yaml.Node, path string) *IntDist {
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return &IntDist{Kind: gen.Constant, Value: d.sizeOrInt(n, path)}
	}
	all := []string{"dist", "value", "min", "max", "n", "start", "theta", "scrambled", "hot_fraction", "hot_ops", "mean", "stddev"}
	f := d.fields(n, path, all...)
	if !d.ok() {
		return nil
	}
	kf, ok := f["dist"]
	if !ok {
		d.failf(n, path, nil, "missing dist (one of %s)", strings.Join(gen.IntKinds, ", "))
		return nil
	}
	s := &IntDist{Kind: d.str(kf.val, join(path, "dist"))}
	// Where each parameter goes: counts and keys (integers or sizes),
	// fractions (plain numbers), amounts (integers or sizes, as floats).
	counts := map[string]*int64{"value": &s.Value, "min": &s.Min, "max": &s.Max, "n": &s.N, "start": &s.Start}
	fractions := map[string]*float64{"theta": &s.Theta, "hot_fraction": &s.HotFraction, "hot_ops": &s.HotOps}
	amounts := map[string]*float64{"mean": &s.Mean, "stddev": &s.StdDev}
	allowed := map[string][]string{
		gen.Constant:    {"value"},
		gen.Uniform:     {"min", "max", "n", "start"},
		gen.Zipfian:     {"n", "start", "theta", "scrambled"},
		gen.Latest:      {"n", "start", "theta"},
		gen.Hotspot:     {"n", "start", "hot_fraction", "hot_ops"},
		gen.Sequential:  {"n", "start"},
		gen.Normal:      {"mean", "stddev", "min", "max"},
		gen.Exponential: {"mean"},
	}
	params, known := allowed[s.Kind]
	if !known {
		d.failf(kf.val, join(path, "dist"), nil, "unknown distribution %q (want one of %s)", s.Kind, strings.Join(gen.IntKinds, ", "))
		return nil
	}
	set := func(name string, fv field) {
		p := join(path, name)
		if v, ok := counts[name]; ok {
			*v = d.sizeOrInt(fv.val, p)
		} else if v, ok := fractions[name]; ok {
			*v = d.floatv(fv.val, p)
		} else if v, ok := amounts[name]; ok {
			*v = float64(d.sizeOrInt(fv.val, p))
		} else if name == "scrambled" {
			s.Scrambled = d.boolv(fv.val, p)
		}
	}
	if !d.params(f, path, s.Kind, params, set) {
		return nil
	}
	if !d.ok() {
		return nil
	}
	if (s.Kind == gen.Zipfian || s.Kind == gen.Latest || s.Kind == gen.Hotspot || s.Kind == gen.Sequential) && f["n"].val == nil {
		d.failf(n, path, nil, "%s needs n (size of the key space)", s.Kind)
		return nil
	}
	if s.Kind == gen.Uniform && f["n"].val == nil && f["max"].val == nil {
		d.failf(n, path, nil, "uniform needs n or min/max")
		return nil
	}
	if name, err := s.Validate(); err != nil {
		at := n
		if fv, ok := f[name]; ok {
			at = fv.val
		}
		d.failf(at, join(path, name), nil, "%v", err)
		return nil
	}
	if s.N > 1<<40 {
		d.failf(f["n"].val, join(path, "n"), nil, "key space too large (max 2^40)")
		return nil
	}
	if (s.Kind == gen.Zipfian || s.Kind == gen.Latest) && s.N > 100_000_000 {
		d.failf(f["n"].val, join(path, "n"), nil, "zipfian key space above 100M is too slow to prepare")
		return nil
	}
	return s
}

// params hands set each field of a distribution but dist, in file order,
// after checking that it is one of the parameters of kind.
func (d *decoder) params(f map[string]field, path, kind string, params []string, set func(name string, fv field)) bool {
	for _, name := range ordered(f) {
		if name == "dist" {
			continue
		}
		fv := f[name]
		if !slices.Contains(params, name) {
			d.failf(fv.key, join(path, name), nil, "not a parameter of %s (want %s)", kind, strings.Join(params, ", "))
			return false
		}
		set(name, fv)
	}
	return true
}

// sizeOrInt accepts plain integers and byte sizes ("1KiB").
func (d *decoder) sizeOrInt(n *yaml.Node, path string) int64 {
	s, ok := d.scalar(n, path)
	if !ok {
		return 0
	}
	if strings.HasPrefix(strings.TrimSpace(s), "-") {
		return d.int64v(n, path, -1<<62)
	}
	v, err := ParseSize(s)
	if err != nil {
		d.failf(n, path, nil, "must be an integer or a size, got %q", s)
	}
	return v
}

// scalarDist decodes a size or duration distribution: a bare value
// (constant) or a mapping with dist and its parameters. parse converts one
// value to float64 (bytes or nanoseconds).
func (d *decoder) scalarDist(n *yaml.Node, path string, kinds []string, parse func(*yaml.Node, string) float64) *gen.Scalar {
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return &gen.Scalar{Kind: gen.Constant, Value: parse(n, path)}
	}
	f := d.fields(n, path, "dist", "value", "min", "max", "mean", "stddev")
	if !d.ok() {
		return nil
	}
	kf, ok := f["dist"]
	if !ok {
		d.failf(n, path, nil, "missing dist (one of %s)", strings.Join(kinds, ", "))
		return nil
	}
	s := &gen.Scalar{Kind: d.str(kf.val, join(path, "dist"))}
	if !slices.Contains(kinds, s.Kind) {
		d.failf(kf.val, join(path, "dist"), nil, "unknown distribution %q (want one of %s)", s.Kind, strings.Join(kinds, ", "))
		return nil
	}
	params := map[string][]string{
		gen.Constant:    {"value"},
		gen.Uniform:     {"min", "max"},
		gen.Normal:      {"mean", "stddev", "min", "max"},
		gen.Exponential: {"mean"},
	}[s.Kind]
	fields := map[string]*float64{"value": &s.Value, "min": &s.Min, "max": &s.Max, "mean": &s.Mean, "stddev": &s.StdDev}
	if !d.params(f, path, s.Kind, params, func(name string, fv field) { *fields[name] = parse(fv.val, join(path, name)) }) {
		return nil
	}
	if !d.ok() {
		return nil
	}
	for _, need := range map[string][]string{gen.Uniform: {"max"}, gen.Normal: {"mean", "stddev"}, gen.Exponential: {"mean"}, gen.Constant: {"value"}}[s.Kind] {
		if _, ok := f[need]; !ok {
			d.failf(n, path, nil, "%s needs %s", s.Kind, need)
			return nil
		}
	}
	if name, err := s.Validate(kinds); err != nil {
		at := n
		if fv, ok := f[name]; ok {
			at = fv.val
		}
		d.failf(at, join(path, name), nil, "%v", err)
		return nil
	}
	return s
}

func (d *decoder) sizeDist(n *yaml.Node, path string) *SizeDist {
	return d.scalarDist(n, path, sizeKinds, func(n *yaml.Node, p string) float64 { return float64(d.size(n, p)) })
}

func (d *decoder) durationDist(n *yaml.Node, path string) *DurationDist {
	return d.scalarDist(n, path, durationKinds, func(n *yaml.Node, p string) float64 { return float64(d.duration(n, p)) })
}

// ordered returns the keys of f in file order, so the first error is stable.
func ordered(f map[string]field) []string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := f[keys[i]].key, f[keys[j]].key
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return keys
}
