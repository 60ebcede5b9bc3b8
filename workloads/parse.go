package workloads

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sparkbench/sparkbench/internal/safefile"
	"github.com/sparkbench/sparkbench/reports"
	"github.com/sparkbench/sparkbench/store"
)

// Defaults applied when a workload file leaves a field out.
const (
	DefaultDuration      = 10 * time.Second
	DefaultSeed          = 1
	DefaultMaxInFlight   = 64
	DefaultLateTolerance = time.Millisecond
	DefaultNodeID        = "edge"
	maxFileBytes         = 8 << 20
)

// ParseFile reads and parses the workload file at path, applying overrides.
// Flare paths are resolved relative to the file's directory.
func ParseFile(path string, overrides ...Override) (*Workload, error) {
	data, err := safefile.ReadFile(path, maxFileBytes)
	if err != nil {
		return nil, &FieldError{File: path, Msg: fmt.Sprintf("cannot read workload: %v", unwrapPathErr(err)), Err: err}
	}
	return Parse(path, data, overrides...)
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Parse parses a workload file's bytes; file names it in errors and is the
// base for relative flare paths. Overrides are applied to the YAML tree
// before decoding, so they can set any field by its dotted path.
func Parse(file string, data []byte, overrides ...Override) (w *Workload, err error) {
	defer func() {
		// The decoder is written not to panic; this keeps the promise
		// "one line, never a trace" even if it ever does.
		if r := recover(); r != nil {
			w, err = nil, &FieldError{File: file, Msg: fmt.Sprintf("internal parser error: %v", r)}
		}
	}()
	if len(data) > maxFileBytes {
		return nil, &FieldError{File: file, Msg: "workload file larger than 8 MiB"}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, &FieldError{File: file, Msg: "empty workload file"}
		}
		root = root.Content[0]
	} else if root.Kind == 0 {
		return nil, &FieldError{File: file, Msg: "empty workload file"}
	}
	if err := checkAliases(root, file); err != nil {
		return nil, err
	}
	for _, o := range overrides {
		if err := o.apply(root); err != nil {
			return nil, &FieldError{File: file, Path: o.Path, Msg: "--set: " + err.Error(), Err: ErrOverride}
		}
	}
	sum := sha256.Sum256(data)
	d := &decoder{file: file}
	w = d.workload(root, filepath.Dir(file))
	if len(d.errs) > 0 {
		return nil, fieldErrors(d.errs)
	}
	w.File = file
	w.SHA256 = hex.EncodeToString(sum[:])
	if w.Name == "" {
		w.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	return w, nil
}

// yamlError turns a yaml syntax error ("yaml: line 3: ...") into a FieldError.
func yamlError(file string, err error) error {
	msg := err.Error()
	line := 0
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			fmt.Sscanf(n, "%d", &line)
			msg = after
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	msg = strings.ReplaceAll(msg, "\n", "; ")
	return &FieldError{File: file, Line: line, Column: 1, Msg: "YAML syntax: " + msg}
}

// checkAliases rejects alias expansion that would blow up (billion laughs)
// by bounding the number of nodes reachable through aliases.
func checkAliases(root *yaml.Node, file string) error {
	budget := 1 << 20
	var walk func(n *yaml.Node, depth int) bool
	walk = func(n *yaml.Node, depth int) bool {
		budget--
		if budget < 0 || depth > 200 {
			return false
		}
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return false
			}
			return walk(n.Alias, depth+1)
		}
		for _, c := range n.Content {
			if !walk(c, depth+1) {
				return false
			}
		}
		return true
	}
	if !walk(root, 0) {
		return &FieldError{File: file, Line: root.Line, Column: root.Column, Msg: "document too large or too deeply nested (aliases?)"}
	}
	return nil
}

func (d *decoder) workload(root *yaml.Node, baseDir string) *Workload {
	f := d.fields(root, "", "name", "description", "seed", "duration", "warmup", "store", "limits",
		"nodes", "sites", "preload", "scenarios", "thresholds", "origin", "verify")
	if f == nil {
		return nil
	}
	w := &Workload{Seed: DefaultSeed, Duration: DefaultDuration}
	// Each part is decoded on its own so that validate reports every
	// error of the file; a part that depends on another (scenarios on
	// nodes and sites) is skipped when that one failed.
	part := func(decode func()) bool {
		d.scope()
		before := len(d.errs)
		decode()
		d.scope()
		return len(d.errs) == before
	}
	part(func() {
		if v, ok := f["name"]; ok {
			w.Name = d.nonEmpty(v.val, "name")
		}
	})
	part(func() {
		if v, ok := f["description"]; ok {
			d.str(v.val, "description")
		}
	})
	part(func() {
		if v, ok := f["seed"]; ok {
			w.Seed = d.int64v(v.val, "seed", -1<<63)
		}
	})
	part(func() {
		if v, ok := f["duration"]; ok {
			w.Duration = d.positiveDuration(v.val, "duration")
		}
	})
	part(func() {
		if v, ok := f["warmup"]; ok {
			w.Warmup = d.duration(v.val, "warmup")
		}
	})
	part(func() { w.Store = d.storeSpec(f["store"].val) })
	part(func() {
		if v, ok := f["origin"]; ok {
			w.Origin = d.origin(v.val)
		}
	})
	part(func() { w.Limits = d.limits(f["limits"].val) })
	nodesOK := part(func() { w.Nodes = d.nodes(f["nodes"].val, f["nodes"].key) })
	sitesOK := part(func() { w.Sites = d.sites(f["sites"].val, f["sites"].key, root) })
	scenariosOK := false
	if nodesOK && sitesOK {
		part(func() { w.Preload = d.preloads(f["preload"].val, w) })
		scenariosOK = part(func() { w.Scenarios = d.scenarios(f["scenarios"].val, root, w, baseDir) })
	}
	if v, ok := f["verify"]; ok && scenariosOK {
		part(func() { w.Verify = d.verifyList(v.val, w) })
	}
	if v, ok := f["thresholds"]; ok {
		w.Thresholds = map[string]string{}
		for _, p := range d.pairs(v.val, "thresholds") {
			part(func() {
				expr := d.nonEmpty(p.val, join("thresholds", p.key.Value))
				if d.ok() {
					if err := reports.ParseThresholds(map[string]string{p.key.Value: expr}); err != nil {
						d.failf(p.val, join("thresholds", p.key.Value), err, "%s", strings.TrimPrefix(err.Error(), "reports: "))
					}
				}
				w.Thresholds[p.key.Value] = expr
				w.ThresholdOrder = append(w.ThresholdOrder, p.key.Value)
			})
		}
		if scenariosOK {
			part(func() { d.checkThresholdNames(w, v.val) })
		}
	}
	if len(d.errs) > 0 {
		return nil
	}
	return w
}

func (d *decoder) storeSpec(n *yaml.Node) StoreSpec {
	s := StoreSpec{Backends: []store.Backend{store.BackendBbolt}, Durability: store.DurabilityGroup}
	if isNull(n) {
		return s
	}
	f := d.fields(n, "store", "backend", "backends", "durability", "dir")
	if v, ok := f["backend"]; ok {
		s.Backends = []store.Backend{named(d, v.val, "store.backend", store.Backends()...)}
	}
	if v, ok := f["backends"]; ok {
		if _, both := f["backend"]; both {
			d.failf(v.key, "store.backends", nil, "give backend or backends, not both")
		}
		s.Backends = nil
		for i, b := range d.list(v.val, "store.backends") {
			s.Backends = append(s.Backends, named(d, b, idx("store.backends", i), store.Backends()...))
		}
		if d.ok() && len(s.Backends) == 0 {
			d.failf(v.val, "store.backends", nil, "must list at least one backend")
		}
	}
	if v, ok := f["durability"]; ok {
		s.Durability = named(d, v.val, "store.durability", store.DurabilityGroup, store.DurabilityAlways, store.DurabilityNone)
	}
	if v, ok := f["dir"]; ok {
		s.Dir = d.str(v.val, "store.dir")
	}
	return s
}

func (d *decoder) origin(n *yaml.Node) OriginSpec {
	var o OriginSpec
	if isNull(n) {
		return o
	}
	f := d.fields(n, "origin", "latency", "status", "body_size")
	if v, ok := f["latency"]; ok {
		o.Latency = d.durationDist(v.val, "origin.latency")
	}
	if v, ok := f["status"]; ok {
		o.Status = d.intv(v.val, "origin.status", 100)
		if d.ok() && o.Status > 599 {
			d.failf(v.val, "origin.status", nil, "must be an HTTP status (100..599)")
		}
	}
	if v, ok := f["body_size"]; ok {
		o.BodySize = d.size(v.val, "origin.body_size")
		if d.ok() && o.BodySize > 16<<20 {
			d.failf(v.val, "origin.body_size", nil, "must be <= 16MiB")
		}
	}
	return o
}

func (d *decoder) limits(n *yaml.Node) LimitsSpec {
	l := LimitsSpec{set: map[string]bool{}}
	if isNull(n) {
		return l
	}
	f := d.fields(n, "limits", "max_value_bytes", "max_ttl", "max_reads_per_invocation", "max_writes_per_invocation",
		"max_pulls_per_invocation", "max_pull_keys", "site_quota", "invocation_timeout", "max_memory_pages")
	for _, name := range ordered(f) {
		v, p := f[name].val, "limits."+name
		l.set[name] = true
		switch name {
		case "max_value_bytes":
			l.MaxValueBytes = d.size(v, p)
			if d.ok() && (l.MaxValueBytes <= 0 || l.MaxValueBytes > 1<<30) {
				d.failf(v, p, nil, "must be in 1B..1GiB")
			}
		case "max_ttl":
			l.MaxTTL = d.positiveDuration(v, p)
		case "max_reads_per_invocation":
			l.MaxReadsPerInvocation = d.intv(v, p, 1)
		case "max_writes_per_invocation":
			l.MaxWritesPerInvocation = d.intv(v, p, 1)
		case "max_pulls_per_invocation":
			l.MaxPullsPerInvocation = d.intv(v, p, 1)
		case "max_pull_keys":
			l.MaxPullKeys = d.intv(v, p, 1)
		case "site_quota":
			l.SiteQuota = d.size(v, p)
			if d.ok() && l.SiteQuota <= 0 {
				d.failf(v, p, nil, "must be > 0")
			}
		case "invocation_timeout":
			l.InvocationTimeout = d.duration(v, p)
		case "max_memory_pages":
			pages := d.int64v(v, p, 1)
			if pages > 65536 {
				d.failf(v, p, nil, "must be <= 65536 (4 GiB)")
			}
			l.MaxMemoryPages = uint32(pages)
		}
	}
	return l
}

func (d *decoder) nodes(n, key *yaml.Node) []NodeSpec {
	items := d.list(n, "nodes")
	if !d.ok() {
		return nil
	}
	if len(items) == 0 {
		if key != nil {
			d.failf(key, "nodes", nil, "must list at least one node")
			return nil
		}
		return []NodeSpec{{ID: DefaultNodeID, Spark: true, Transport: TransportInProcess}}
	}
	var out []NodeSpec
	seen := map[string]bool{}
	for i, it := range items {
		p := idx("nodes", i)
		d.scope()
		f := d.fields(it, p, "id", "spark", "pull_latency", "transport")
		if !d.ok() {
			continue
		}
		ns := NodeSpec{Spark: true, Transport: TransportInProcess}
		ns.ID = d.uniqueName(f, it, p, "id", "node id", seen)
		if v, ok := f["spark"]; ok {
			ns.Spark = d.boolv(v.val, p+".spark")
		}
		if v, ok := f["pull_latency"]; ok {
			ns.PullLatency = d.durationDist(v.val, p+".pull_latency")
		}
		if v, ok := f["transport"]; ok {
			ns.Transport = d.oneOf(v.val, p+".transport", TransportInProcess, TransportHTTP)
		}
		out = append(out, ns)
	}
	return out
}

func (d *decoder) sites(n, key, root *yaml.Node) []SiteSpec {
	items := d.list(n, "sites")
	if !d.ok() {
		return nil
	}
	if len(items) == 0 {
		at := root
		if key != nil {
			at = key
		}
		d.failf(at, "sites", nil, "must list at least one site")
		return nil
	}
	var out []SiteSpec
	seen := map[string]bool{}
	for i, it := range items {
		p := idx("sites", i)
		d.scope()
		f := d.fields(it, p, "domain", "capabilities", "secrets")
		if !d.ok() {
			continue
		}
		var s SiteSpec
		s.Domain = d.uniqueName(f, it, p, "domain", "site", seen)
		if v, ok := f["capabilities"]; ok {
			for j, c := range d.list(v.val, p+".capabilities") {
				s.Capabilities = append(s.Capabilities, d.oneOf(c, idx(p+".capabilities", j), CapWritesSparkKV))
			}
		}
		if v, ok := f["secrets"]; ok {
			s.Secrets = map[string]string{}
			for _, kv := range d.pairs(v.val, p+".secrets") {
				s.Secrets[kv.key.Value] = d.str(kv.val, p+".secrets."+kv.key.Value)
			}
		}
		out = append(out, s)
	}
	return out
}

func (w *Workload) node(id string) *NodeSpec {
	for i := range w.Nodes {
		if w.Nodes[i].ID == id {
			return &w.Nodes[i]
		}
	}
	return nil
}

func (w *Workload) site(domain string) *SiteSpec {
	for i := range w.Sites {
		if w.Sites[i].Domain == domain {
			return &w.Sites[i]
		}
	}
	return nil
}

// uniqueName decodes the required field key of list item at (path p), a
// name that no earlier item (seen) has; what names it in the error.
func (d *decoder) uniqueName(f map[string]field, at *yaml.Node, p, key, what string, seen map[string]bool) string {
	v, ok := f[key]
	if !ok {
		d.failf(at, p, nil, "missing %s", key)
		return ""
	}
	name := d.nonEmpty(v.val, p+"."+key)
	if d.ok() && seen[name] {
		d.failf(v.val, p+"."+key, nil, "duplicate %s %q", what, name)
	}
	seen[name] = true
	return name
}

// nodeRef decodes a node reference; absent means the only node.
func (d *decoder) nodeRef(f map[string]field, at *yaml.Node, p string, w *Workload) string {
	var ids []string
	for _, n := range w.Nodes {
		ids = append(ids, n.ID)
	}
	return d.ref(f, at, p, "node", ids)
}

// siteRef decodes a site reference; absent means the only site.
func (d *decoder) siteRef(f map[string]field, at *yaml.Node, p string, w *Workload) string {
	var domains []string
	for _, s := range w.Sites {
		domains = append(domains, s.Domain)
	}
	return d.ref(f, at, p, "site", domains)
}

// ref decodes the field kind ("node" or "site") of f, which must name one
// of known; absent means the only one there is.
func (d *decoder) ref(f map[string]field, at *yaml.Node, p, kind string, known []string) string {
	v, ok := f[kind]
	if !ok {
		if len(known) == 1 {
			return known[0]
		}
		d.failf(at, p, nil, "missing %s (the workload has %d %ss)", kind, len(known), kind)
		return ""
	}
	name := d.nonEmpty(v.val, p+"."+kind)
	if d.ok() && !slices.Contains(known, name) {
		d.failf(v.val, p+"."+kind, nil, "unknown %s %q (known: %s)", kind, name, strings.Join(known, ", "))
	}
	return name
}

func (d *decoder) preloads(n *yaml.Node, w *Workload) []PreloadSpec {
	if !d.ok() || isNull(n) {
		return nil
	}
	items := []*yaml.Node{n}
	single := true
	if r := resolve(n); r != nil && r.Kind == yaml.SequenceNode {
		items, single = r.Content, false
	}
	var out []PreloadSpec
	for i, it := range items {
		p := "preload"
		if !single {
			p = idx(p, i)
		}
		d.scope()
		f := d.fields(it, p, "site", "node", "keys", "key", "value_size", "ttl")
		if !d.ok() {
			continue
		}
		ps := PreloadSpec{Pos: Pos{it.Line, it.Column}}
		ps.Node = d.nodeRef(f, it, p, w)
		if n := w.node(ps.Node); d.ok() && n != nil && !n.Spark {
			at := it
			if v, ok := f["node"]; ok {
				at = v.val
			}
			d.failf(at, p+".node", nil, "node %q has spark: false: nothing to preload into", ps.Node)
		}
		ps.Site = d.siteRef(f, it, p, w)
		if v, ok := f["keys"]; ok {
			ps.Keys = d.sizeOrInt(v.val, p+".keys")
			if d.ok() && (ps.Keys <= 0 || ps.Keys > 100_000_000) {
				d.failf(v.val, p+".keys", nil, "must be in 1..100000000")
			}
		} else {
			d.failf(it, p, nil, "missing keys (how many keys to load)")
		}
		src := "key:{{seq}}"
		at, kp := it, p
		if v, ok := f["key"]; ok {
			src, at, kp = d.str(v.val, p+".key"), v.val, p+".key"
		}
		if t, err := ParseTemplate(src); err != nil {
			d.failf(at, kp, nil, "%v", err)
		} else {
			for _, name := range t.Names() {
				if name != "seq" && name != "node" && name != "site" {
					d.failf(at, kp, nil, "preload keys may use {{seq}}, {{node}}, {{site}} only, not {{%s}}", name)
				}
			}
			ps.Key = t
		}
		ps.ValueSize = &SizeDist{Kind: "constant", Value: 100}
		if v, ok := f["value_size"]; ok {
			ps.ValueSize = d.sizeDist(v.val, p+".value_size")
		}
		if v, ok := f["ttl"]; ok {
			ps.TTL = d.durationDist(v.val, p+".ttl")
		}
		out = append(out, ps)
	}
	return out
}

func (d *decoder) scenarios(n, root *yaml.Node, w *Workload, baseDir string) []ScenarioSpec {
	if !d.ok() {
		return nil
	}
	items := d.list(n, "scenarios")
	if d.ok() && len(items) == 0 {
		at := root
		if !isNull(n) {
			at = n
		}
		d.failf(at, "scenarios", nil, "must list at least one scenario")
		return nil
	}
	var out []ScenarioSpec
	seen := map[string]bool{}
	for i, it := range items {
		p := idx("scenarios", i)
		d.scope()
		f := d.fields(it, p, "name", "flare", "node", "site", "executor", "vars", "request", "expect")
		if !d.ok() {
			continue
		}
		sc := ScenarioSpec{Expect: []int{200}}
		if v, ok := f["name"]; ok {
			sc.Name = d.nonEmpty(v.val, p+".name")
			if d.ok() && seen[sc.Name] {
				d.failf(v.val, p+".name", nil, "duplicate scenario name %q", sc.Name)
			}
		} else {
			sc.Name = fmt.Sprintf("scenario-%d", i)
		}
		seen[sc.Name] = true
		sc.Node = d.nodeRef(f, it, p, w)
		sc.Site = d.siteRef(f, it, p, w)
		if v, ok := f["flare"]; ok {
			sc.FlarePos = Pos{v.val.Line, v.val.Column}
			d.flare(&sc, v.val, p+".flare", baseDir)
		} else {
			d.failf(it, p, nil, "missing flare (builtin:NAME or a path to a .wasm)")
		}
		if v, ok := f["executor"]; ok {
			sc.ExecutorPos = Pos{v.val.Line, v.val.Column}
			sc.Executor = d.executor(v.val, p+".executor", w.Duration)
		} else {
			d.failf(it, p, nil, "missing executor")
		}
		if v, ok := f["vars"]; ok {
			for _, kv := range d.pairs(v.val, p+".vars") {
				vp := p + ".vars." + kv.key.Value
				if !validName(kv.key.Value) {
					d.failf(kv.key, vp, nil, "variable names are letters, digits, _ and -")
				}
				if builtinVar(kv.key.Value) {
					d.failf(kv.key, vp, nil, "%q is a built-in variable", kv.key.Value)
				}
				dist := d.intDist(kv.val, vp)
				if !d.ok() {
					break
				}
				sc.Vars = append(sc.Vars, VarSpec{Name: kv.key.Value, Dist: dist})
			}
		}
		sc.Request = d.request(f["request"].val, p+".request", sc.Site)
		if v, ok := f["expect"]; ok {
			d.expect(v.val, p+".expect", &sc)
		}
		if !d.ok() {
			continue
		}
		d.checkTemplates(&sc, it, p)
		if d.ok() && sc.WritesSpark {
			if s := w.site(sc.Site); s != nil && !s.WritesSpark() {
				at := it
				if v, ok := f["site"]; ok {
					at = v.val
				} else if v, ok := f["flare"]; ok {
					at = v.val
				}
				d.failf(at, p+".site", ErrCapability, "flare %s writes Spark but site %q lacks the %s capability", sc.Flare, sc.Site, CapWritesSparkKV)
			}
		}
		out = append(out, sc)
	}
	return out
}

func (d *decoder) request(n *yaml.Node, p, site string) RequestSpec {
	rs := RequestSpec{}
	var f map[string]field
	if !isNull(n) {
		f = d.fields(n, p, "method", "url", "headers", "body")
	}
	if v, ok := f["method"]; ok {
		rs.Method = d.template(v.val, p+".method")
	} else {
		rs.Method, _ = ParseTemplate("GET")
	}
	if v, ok := f["url"]; ok {
		rs.URL = d.template(v.val, p+".url")
	} else {
		rs.URL, _ = ParseTemplate("https://{{site}}/")
	}
	if v, ok := f["headers"]; ok {
		for _, kv := range d.pairs(v.val, p+".headers") {
			rs.Headers = append(rs.Headers, HeaderTemplate{Name: kv.key.Value, Value: d.template(kv.val, p+".headers."+kv.key.Value)})
		}
	}
	if v, ok := f["body"]; ok {
		rs.Body = d.template(v.val, p+".body")
	}
	return rs
}

// builtinVars are always available in request templates.
var builtinVars = []string{"seq", "worker", "node", "site", "scenario", "shard", "shards"}

func builtinVar(name string) bool { return slices.Contains(builtinVars, name) }

// checkTemplates makes sure every placeholder names a variable.
func (d *decoder) checkTemplates(sc *ScenarioSpec, at *yaml.Node, p string) {
	known := func(name string) bool {
		if builtinVar(name) {
			return true
		}
		for _, v := range sc.Vars {
			if v.Name == name {
				return true
			}
		}
		return false
	}
	check := func(t *Template, tp string) {
		if t == nil || !d.ok() {
			return
		}
		for _, name := range t.Names() {
			if !known(name) {
				d.failf(at, tp, nil, "unknown variable {{%s}} (declare it under vars, or use one of %s)", name, strings.Join(builtinVars, ", "))
				return
			}
		}
	}
	check(sc.Request.Method, p+".request.method")
	check(sc.Request.URL, p+".request.url")
	for _, h := range sc.Request.Headers {
		check(h.Value, p+".request.headers."+h.Name)
	}
	check(sc.Request.Body, p+".request.body")
	for _, c := range sc.Checks {
		if c.Value != nil {
			at = &yaml.Node{Line: c.Pos.Line, Column: c.Pos.Column}
		}
		check(c.Value, c.path+"."+testField(c.Test))
	}
}

func (d *decoder) executor(n *yaml.Node, p string, defaultDuration time.Duration) ExecutorSpec {
	e := ExecutorSpec{MaxInFlight: DefaultMaxInFlight, LateTolerance: DefaultLateTolerance, Duration: defaultDuration}
	rn := resolve(n)
	if rn == nil || rn.Kind != yaml.MappingNode {
		d.fields(n, p) // reports the type error
		return e
	}
	var typeNode *yaml.Node
	for i := 0; i+1 < len(rn.Content); i += 2 {
		if rn.Content[i].Value == "type" {
			typeNode = rn.Content[i+1]
		}
	}
	if typeNode == nil {
		d.failf(rn, p, nil, "missing type (%s, %s or %s)", ConstantArrivalRate, RampingArrivalRate, Closed)
		return e
	}
	e.Type = d.oneOf(typeNode, p+".type", ConstantArrivalRate, RampingArrivalRate, Closed)
	var allowed []string
	switch e.Type {
	case ConstantArrivalRate:
		allowed = []string{"type", "rate", "duration", "max_in_flight", "late_tolerance", "spin"}
	case RampingArrivalRate:
		allowed = []string{"type", "start_rate", "stages", "max_in_flight", "late_tolerance", "spin"}
	case Closed:
		allowed = []string{"type", "vus", "duration", "iterations"}
	default:
		return e
	}
	f := d.fields(rn, p, allowed...)
	if !d.ok() {
		return e
	}
	if v, ok := f["duration"]; ok {
		e.Duration = d.positiveDuration(v.val, p+".duration")
	}
	if v, ok := f["max_in_flight"]; ok {
		e.MaxInFlight = d.intv(v.val, p+".max_in_flight", 1)
		if d.ok() && e.MaxInFlight > 100000 {
			d.failf(v.val, p+".max_in_flight", nil, "must be <= 100000")
		}
	}
	if v, ok := f["late_tolerance"]; ok {
		e.LateTolerance = d.duration(v.val, p+".late_tolerance")
	}
	if v, ok := f["spin"]; ok {
		if s, _ := d.scalar(v.val, p+".spin"); s == "off" || s == "false" {
			e.Spin = -1
		} else if e.Spin = d.positiveDuration(v.val, p+".spin"); d.ok() && e.Spin > 20*time.Millisecond {
			d.failf(v.val, p+".spin", nil, "must be <= 20ms (or off)")
		}
	}
	switch e.Type {
	case ConstantArrivalRate:
		if v, ok := f["rate"]; ok {
			e.Rate = d.rate(v.val, p+".rate", false)
		} else {
			d.failf(rn, p, nil, "missing rate (e.g. 1000/s)")
		}
	case RampingArrivalRate:
		if v, ok := f["start_rate"]; ok {
			e.StartRate = d.rate(v.val, p+".start_rate", true)
		}
		sv, ok := f["stages"]
		if !ok {
			d.failf(rn, p, nil, "missing stages (list of {target, duration})")
			return e
		}
		stages := d.list(sv.val, p+".stages")
		if d.ok() && len(stages) == 0 {
			d.failf(sv.val, p+".stages", nil, "must list at least one stage")
		}
		for i, st := range stages {
			sp := idx(p+".stages", i)
			sf := d.fields(st, sp, "target", "duration")
			if !d.ok() {
				return e
			}
			var s Stage
			if v, ok := sf["target"]; ok {
				s.Target = d.rate(v.val, sp+".target", true)
			} else {
				d.failf(st, sp, nil, "missing target")
			}
			if v, ok := sf["duration"]; ok {
				s.Duration = d.positiveDuration(v.val, sp+".duration")
			} else {
				d.failf(st, sp, nil, "missing duration")
			}
			e.Stages = append(e.Stages, s)
		}
		if d.ok() {
			peak := e.StartRate
			for _, s := range e.Stages {
				peak = max(peak, s.Target)
			}
			if peak <= 0 {
				d.failf(sv.val, p+".stages", nil, "every rate is 0: nothing would run")
			}
		}
	case Closed:
		if v, ok := f["vus"]; ok {
			e.VUs = d.intv(v.val, p+".vus", 1)
			if d.ok() && e.VUs > 100000 {
				d.failf(v.val, p+".vus", nil, "must be <= 100000")
			}
		} else {
			d.failf(rn, p, nil, "missing vus (number of workers)")
		}
		if v, ok := f["iterations"]; ok {
			e.Iterations = d.int64v(v.val, p+".iterations", 1)
			if _, hasDur := f["duration"]; !hasDur {
				e.Duration = 0 // bound by iterations only
			}
		}
	}
	return e
}
