package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/sparkbench/sparkbench/store"
	"github.com/sparkbench/sparkbench/workloads"
	"github.com/sparkbench/sparkbench/workloads/engine"
)

const storeUsage = `usage: sparkbench store [flags] DIR
       sparkbench store [flags] DIR get SITE KEY
       sparkbench store [flags] DIR list SITE [PREFIX]
       sparkbench store [flags] DIR dump SITE [--format json]

Reads a persisted store directory (a workload's store.dir, or one node's
directory in it) without changing it. Without a subcommand it lists every
store found (backend, node), its sites, their live keys, the bytes they
count against the quota, expired entries not yet reclaimed, and the quota
use. get shows one key's value and remaining TTL, list the keys of a site
(optionally under a prefix) with their sizes, TTLs and the start of their
values, dump every live entry of a site as JSON. Values are judged
against the clock now: expired entries are not shown.

A store held by a running sparkbench is refused at once (bbolt's file
lock, pebble's LOCK), not waited for.

Exit status: 0 ok, 1 the store is in use or unreadable, or get found no
such key, 2 bad arguments or not a store directory.

flags:
`

// storeDir is one store found under the directory given.
type storeDir struct {
	dir      string
	backend  store.Backend
	node     string
	manifest *engine.StoreManifest // nil when the run left none
}

func runStore(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("store", storeUsage, stderr)
	node := fs.String("node", "", "the node to read when DIR holds several")
	backendName := fs.String("backend", "", "the backend to read when DIR holds several (bbolt, pebble)")
	format := fs.String("format", "", "dump's output format: json (the default and only one)")
	quota := fs.String("quota", "", "the site quota to show use against (default: the one the run recorded, else 10MiB)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagError(stderr, err)
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "sparkbench store: "+format+"\n", a...)
		return exitUsage
	}
	if len(pos) == 0 {
		return usage("no store directory given (see sparkbench help store)")
	}
	var quotaBytes int64
	if *quota != "" {
		if quotaBytes, err = workloads.ParseSize(*quota); err != nil || quotaBytes <= 0 {
			return usage("--quota %q: want a size such as 10MiB", *quota)
		}
	}
	dir, sub := pos[0], pos[1:]
	stores, err := findStores(dir)
	if err != nil {
		return usage("%v", err)
	}
	stores = slices.DeleteFunc(stores, func(s storeDir) bool {
		return *node != "" && s.node != *node || *backendName != "" && string(s.backend) != *backendName
	})
	if len(stores) == 0 {
		return usage("%s: no store matches --node %q --backend %q", dir, *node, *backendName)
	}
	if len(sub) == 0 {
		return storeSummary(stdout, stderr, dir, stores, quotaBytes)
	}
	if len(stores) > 1 {
		var names []string
		for _, s := range stores {
			names = append(names, string(s.backend)+"/"+s.node)
		}
		return usage("%s holds %d stores (%s): choose one with --backend and --node", dir, len(stores), strings.Join(names, ", "))
	}
	s := stores[0]
	switch {
	case sub[0] == "get" && len(sub) == 3:
		return storeGet(stdout, stderr, s, sub[1], sub[2])
	case sub[0] == "list" && (len(sub) == 2 || len(sub) == 3):
		prefix := ""
		if len(sub) == 3 {
			prefix = sub[2]
		}
		return storeList(stdout, stderr, s, sub[1], prefix)
	case sub[0] == "dump" && len(sub) == 2:
		if *format != "" && *format != "json" {
			return usage("dump --format %q: only json", *format)
		}
		return storeDump(stdout, stderr, s, sub[1])
	}
	return usage("want get SITE KEY, list SITE [PREFIX] or dump SITE, got %q", strings.Join(sub, " "))
}

// findStores finds the stores in dir: dir itself, its subdirectories
// (nodes), or theirs (store.dir/BACKEND/NODE).
func findStores(dir string) ([]storeDir, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, unwrapPath(err))
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	var out []storeDir
	var walk func(d string, depth int)
	walk = func(d string, depth int) {
		if b, err := store.DetectBackend(d); err == nil {
			s := storeDir{dir: d, backend: b, node: filepath.Base(d)}
			if m, err := engine.ReadStoreManifest(filepath.Dir(d)); err == nil {
				s.manifest = m
			}
			out = append(out, s)
			return
		}
		if depth == 2 {
			return
		}
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if e.IsDir() {
				walk(filepath.Join(d, e.Name()), depth+1)
			}
		}
	}
	walk(dir, 0)
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no bbolt or pebble store in it or in its subdirectories (store.dir keeps BACKEND/NODE/)", dir)
	}
	return out, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// openStore opens s read-only, printing why it cannot be.
func openStore(stderr io.Writer, s storeDir) (*store.Reader, int) {
	r, err := store.OpenReader(store.ReaderOptions{Backend: s.backend, Dir: s.dir})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			fmt.Fprintf(stderr, "sparkbench store: %s is in use by a running sparkbench (or another process); read it once that has ended\n", s.dir)
		} else {
			fmt.Fprintf(stderr, "sparkbench store: %s\n", oneLine(err))
		}
		return nil, exitRuntime
	}
	return r, exitOK
}

func storeSummary(stdout, stderr io.Writer, dir string, stores []storeDir, quotaFlag int64) int {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (read-only)\n", dir)
	tw := newTextTable(&b)
	fmt.Fprintln(tw, "backend\tnode\tsite\tkeys\tbytes\texpired\tquota\tused")
	defaulted := false
	for _, s := range stores {
		r, code := openStore(stderr, s)
		if r == nil {
			return code
		}
		sites, err := r.Sites()
		r.Close()
		if err != nil {
			fmt.Fprintf(stderr, "sparkbench store: %s: %s\n", s.dir, oneLine(err))
			return exitRuntime
		}
		quota := quotaFlag
		if quota == 0 && s.manifest != nil {
			quota = s.manifest.SiteQuotaBytes
		}
		if quota == 0 {
			quota, defaulted = store.DefaultSiteQuotaBytes, true
		}
		if len(sites) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\t0\t0 B\t0\t%s\t-\n", s.backend, s.node, fmtBytes(quota))
		}
		for _, st := range sites {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%.1f%%\n", s.backend, s.node, st.Site, st.Keys, fmtBytes(st.Bytes), st.Expired,
				fmtBytes(quota), 100*float64(st.Bytes)/float64(quota))
		}
	}
	tw.Flush()
	if defaulted {
		b.WriteString("quota: the default 10 MiB (no sparkbench-store.json recorded the run's; --quota sets another)\n")
	}
	for _, s := range stores {
		if m := s.manifest; m != nil {
			fmt.Fprintf(&b, "%s/%s: written by %s (%s) with durability %s, %s\n", s.backend, s.node, m.Workload, m.File, m.Durability, m.Written.Format(time.RFC3339))
			break
		}
	}
	io.WriteString(stdout, b.String())
	return exitOK
}

func storeGet(stdout, stderr io.Writer, s storeDir, site, key string) int {
	r, code := openStore(stderr, s)
	if r == nil {
		return code
	}
	defer r.Close()
	e, ok, err := r.Get(site, key)
	if err != nil {
		fmt.Fprintf(stderr, "sparkbench store: %s\n", oneLine(err))
		return exitRuntime
	}
	if !ok {
		fmt.Fprintf(stderr, "sparkbench store: site %s has no live key %q (%s/%s)\n", site, key, s.backend, s.node)
		return exitRuntime
	}
	var b strings.Builder
	fmt.Fprintf(&b, "key:   %s\nsite:  %s (%s/%s)\nttl:   %s\nsize:  %s\nvalue: %s\n", e.Key, site, s.backend, s.node,
		ttlText(e.TTL(time.Now())), fmtBytes(int64(len(e.Value))), valueText(e.Value, 0))
	io.WriteString(stdout, b.String())
	return exitOK
}

func storeList(stdout, stderr io.Writer, s storeDir, site, prefix string) int {
	r, code := openStore(stderr, s)
	if r == nil {
		return code
	}
	defer r.Close()
	var b strings.Builder
	tw := newTextTable(&b)
	fmt.Fprintln(tw, "key\tsize\tttl\tvalue")
	now := time.Now()
	n := 0
	err := r.Scan(site, prefix, func(e store.Entry) error {
		n++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Key, fmtBytes(int64(len(e.Value))), ttlText(e.TTL(now)), valueText(e.Value, 60))
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "sparkbench store: %s\n", oneLine(err))
		return exitRuntime
	}
	tw.Flush()
	fmt.Fprintf(&b, "%d keys in site %s (%s/%s)", n, site, s.backend, s.node)
	if prefix != "" {
		fmt.Fprintf(&b, " under %q", prefix)
	}
	b.WriteString("\n")
	io.WriteString(stdout, b.String())
	return exitOK
}

// dumpEntry is one entry of dump's JSON.
type dumpEntry struct {
	Key string `json:"key"`
	// Value is the value as text when it is valid UTF-8; ValueBase64
	// otherwise.
	Value       *string    `json:"value,omitempty"`
	ValueBase64 []byte     `json:"value_base64,omitempty"`
	Size        int        `json:"size"`
	TTLSecs     int64      `json:"ttl_secs"` // 0: no expiry
	ExpiresAt   *time.Time `json:"expires_at"`
}

func storeDump(stdout, stderr io.Writer, s storeDir, site string) int {
	r, code := openStore(stderr, s)
	if r == nil {
		return code
	}
	defer r.Close()
	now := time.Now()
	out := []dumpEntry{}
	err := r.Scan(site, "", func(e store.Entry) error {
		d := dumpEntry{Key: e.Key, Size: len(e.Value), TTLSecs: int64(e.TTL(now) / time.Second)}
		if utf8.Valid(e.Value) {
			v := string(e.Value)
			d.Value = &v
		} else {
			d.ValueBase64 = e.Value
		}
		if e.ExpiresAt != 0 {
			t := time.Unix(0, e.ExpiresAt).UTC()
			d.ExpiresAt = &t
		}
		out = append(out, d)
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "sparkbench store: %s\n", oneLine(err))
		return exitRuntime
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "sparkbench store: %v\n", err)
		return exitRuntime
	}
	return exitOK
}

// newTextTable aligns tab-separated columns.
func newTextTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func ttlText(d time.Duration) string {
	if d == 0 {
		return "no expiry"
	}
	return d.String()
}

// valueText shows a value: as is when it is printable text, else quoted;
// cut to max runes (0: whole).
func valueText(v []byte, max int) string {
	s, cut := string(v), false
	if max > 0 && utf8.RuneCountInString(s) > max {
		s, cut = string([]rune(s)[:max]), true
	}
	printable := utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !strconv.IsPrint(r) })
	if !printable || s != strings.TrimSpace(s) || s == "" {
		s = strconv.Quote(s)
	}
	if cut {
		s += "…"
	}
	return s
}

func fmtBytes(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 10<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
