package flares

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestCatalogMatchesSources keeps Info honest: every header parameter a
// flare's C source reads is listed in its catalog entry, with the query
// name the source falls back to, and nothing listed is left unread.
func TestCatalogMatchesSources(t *testing.T) {
	paramCall := regexp.MustCompile(`param(?:_i64)?\("(x-[a-z0-9-]+)", "([a-z_]+)"`)
	headerCall := regexp.MustCompile(`req_header\("(x-[a-z0-9-]+)"`)
	for _, name := range Names() {
		src, err := os.ReadFile("src/" + name + ".c")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		read := map[string]string{} // header -> query fallback ("" = header only)
		for _, m := range paramCall.FindAllStringSubmatch(string(src), -1) {
			read[m[1]] = m[2]
		}
		for _, m := range headerCall.FindAllStringSubmatch(string(src), -1) {
			if _, ok := read[m[1]]; !ok {
				read[m[1]] = ""
			}
		}
		if len(read) == 0 {
			t.Errorf("%s: found no parameter reads in src/%s.c: has the runtime's param API changed?", name, name)
		}
		info, _ := Info(name)
		listed := map[string]bool{}
		for _, p := range info.Params {
			if p.Where != "header" {
				continue
			}
			listed[p.Name] = true
			query, ok := read[p.Name]
			if !ok {
				t.Errorf("%s: Info lists header %s, which src/%s.c never reads", name, p.Name, name)
				continue
			}
			if query != "" && !strings.Contains(p.Meaning, "query: "+query+")") {
				t.Errorf("%s: %s falls back to query %q, but its Meaning says %q", name, p.Name, query, p.Meaning)
			}
		}
		var missing []string
		for h := range read {
			if !listed[h] {
				missing = append(missing, h)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s: src/%s.c reads %v, which Info does not list", name, name, missing)
		}
	}
}
