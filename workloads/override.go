package workloads

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Override sets one field of a workload by dotted path before decoding,
// e.g. {"scenarios.0.executor.rate", "5000/s"}. List elements are addressed
// by index; missing mapping keys are created.
type Override struct {
	Path, Value string
}

// ParseOverride parses "path=value".
func ParseOverride(s string) (Override, error) {
	path, value, ok := strings.Cut(s, "=")
	path = strings.TrimSpace(path)
	if !ok || path == "" {
		return Override{}, fmt.Errorf("%w: %q: want path=value", ErrOverride, s)
	}
	for _, part := range strings.Split(path, ".") {
		if part == "" {
			return Override{}, fmt.Errorf("%w: %q: empty path element", ErrOverride, s)
		}
	}
	return Override{Path: path, Value: value}, nil
}

func (o Override) apply(root *yaml.Node) error {
	var val yaml.Node
	if err := yaml.Unmarshal([]byte(o.Value), &val); err != nil {
		return fmt.Errorf("value %q is not valid YAML", o.Value)
	}
	v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}
	if val.Kind == yaml.DocumentNode && len(val.Content) == 1 {
		v = val.Content[0]
	}
	unposition(v) // errors in the value must not point at the file's line 1
	n := root
	parts := strings.Split(o.Path, ".")
	for i, part := range parts {
		last := i == len(parts)-1
		switch n.Kind {
		case yaml.MappingNode:
			found := false
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == part {
					if last {
						n.Content[j+1] = v
					} else {
						n = n.Content[j+1]
					}
					found = true
					break
				}
			}
			if !found {
				child := v
				if !last {
					child = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: part}, child)
				n = child
			}
		case yaml.SequenceNode:
			k, err := strconv.Atoi(part)
			if err != nil || k < 0 || k >= len(n.Content) {
				return fmt.Errorf("%q: no element %s (list has %d)", strings.Join(parts[:i], "."), part, len(n.Content))
			}
			if last {
				n.Content[k] = v
			} else {
				n = n.Content[k]
			}
		case yaml.AliasNode:
			return fmt.Errorf("%q: cannot set through an alias", strings.Join(parts[:i], "."))
		default:
			if i == 0 {
				return fmt.Errorf("the document is not a mapping")
			}
			return fmt.Errorf("%q is a single value, not a mapping or list", strings.Join(parts[:i], "."))
		}
	}
	return nil
}

// unposition clears the positions of an override's nodes: they come from
// the command line, and an error in them names the field path only.
func unposition(n *yaml.Node) {
	if n == nil {
		return
	}
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		unposition(c)
	}
}
