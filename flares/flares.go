package flares

import (
	"embed"
	"sort"
)

//go:embed wasm/*.wasm
var wasmFS embed.FS

// Flare describes one reference flare.
type Flare struct {
	Name, Summary string
	Params        []Param
}

// Param is one request parameter a flare reads.
type Param struct {
	Where   string // "header" | "query" | "body"
	Name    string
	Meaning string
}

// Names returns the names of the embedded flares, sorted.
func Names() []string {
	names := make([]string, 0, len(catalog))
	for name := range catalog {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the embedded .wasm of the named flare. The slice is a fresh
// copy the caller may keep or modify.
func Lookup(name string) ([]byte, bool) {
	if _, ok := catalog[name]; !ok {
		return nil, false
	}
	b, err := wasmFS.ReadFile("wasm/" + name + ".wasm")
	if err != nil {
		return nil, false
	}
	return b, true
}

// Info returns the description and request parameters of the named flare.
func Info(name string) (Flare, bool) {
	f, ok := catalog[name]
	if !ok {
		return Flare{}, false
	}
	f.Params = append([]Param(nil), f.Params...)
	return f, true
}
