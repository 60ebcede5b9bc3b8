package workloads

import (
	"fmt"
	"strconv"
	"strings"
)

// Template is a string with {{name}} placeholders, split once into
// segments. Rendering appends into a caller's buffer and does not allocate.
type Template struct {
	Src  string
	segs []segment
}

type segment struct {
	lit  string // literal text, or the constant value of a bound name
	name string // placeholder name; "" for a literal
	slot int    // index into the values of a request, after Bind; -1 = literal
}

// ParseTemplate splits src into literal and placeholder segments.
// Placeholder names are letters, digits, '_' and '-'.
func ParseTemplate(src string) (*Template, error) {
	t := &Template{Src: src}
	rest := src
	for rest != "" {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.segs = append(t.segs, segment{lit: rest, slot: -1})
			break
		}
		if i > 0 {
			t.segs = append(t.segs, segment{lit: rest[:i], slot: -1})
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("template %q: unclosed {{", src)
		}
		name := strings.TrimSpace(rest[i+2 : i+2+j])
		if !validName(name) {
			return nil, fmt.Errorf("template %q: bad placeholder {{%s}}", src, name)
		}
		t.segs = append(t.segs, segment{name: name, slot: -1})
		rest = rest[i+2+j+2:]
	}
	return t, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Names returns the placeholder names in order of appearance.
func (t *Template) Names() []string {
	var out []string
	for _, s := range t.segs {
		if s.name != "" {
			out = append(out, s.name)
		}
	}
	return out
}

// Resolver maps a placeholder name to a per-request value slot or, when
// slot < 0, to a constant string.
type Resolver func(name string) (slot int, constant string, ok bool)

// Bind returns a copy of t whose placeholders are resolved; an unknown name
// is an error. Constants are folded into literals.
func (t *Template) Bind(r Resolver) (*Template, error) {
	b := &Template{Src: t.Src}
	for _, s := range t.segs {
		if s.name == "" {
			b.appendLit(s.lit)
			continue
		}
		slot, c, ok := r(s.name)
		if !ok {
			return nil, fmt.Errorf("template %q: unknown variable {{%s}}", t.Src, s.name)
		}
		if slot < 0 {
			b.appendLit(c)
			continue
		}
		b.segs = append(b.segs, segment{name: s.name, slot: slot})
	}
	return b, nil
}

func (t *Template) appendLit(s string) {
	if n := len(t.segs); n > 0 && t.segs[n-1].slot < 0 {
		t.segs[n-1].lit += s
		return
	}
	t.segs = append(t.segs, segment{lit: s, slot: -1})
}

// Constant reports whether the bound template has no per-request values,
// and if so its text.
func (t *Template) Constant() (string, bool) {
	switch len(t.segs) {
	case 0:
		return "", true
	case 1:
		if t.segs[0].slot < 0 {
			return t.segs[0].lit, true
		}
	}
	return "", false
}

// Append renders the bound template with the request's values into buf.
func (t *Template) Append(buf []byte, values []int64) []byte {
	for i := range t.segs {
		s := &t.segs[i]
		if s.slot < 0 {
			buf = append(buf, s.lit...)
		} else {
			buf = strconv.AppendInt(buf, values[s.slot], 10)
		}
	}
	return buf
}

// String renders with values (allocates; for tests and preload keys).
func (t *Template) String(values []int64) string { return string(t.Append(nil, values)) }
