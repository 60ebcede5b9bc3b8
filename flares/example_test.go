package flares_test

import (
	"fmt"

	"github.com/sparkbench/sparkbench/flares"
)

func ExampleNames() {
	fmt.Println(flares.Names())
	// Output: [cache counter kvops migrate ratelimit session]
}

func ExampleInfo() {
	f, _ := flares.Info("counter")
	fmt.Println(f.Summary)
	for _, p := range f.Params {
		fmt.Printf("%s %s\n", p.Where, p.Name)
	}
	// Output:
	// hits counter: one spark_get and one spark_set per request; answers the new count as the body
	// header x-counter-key
	// header x-ttl
}

func ExampleLookup() {
	wasm, ok := flares.Lookup("kvops")
	fmt.Println(ok, string(wasm[:4]) == "\x00asm")
	// Output: true true
}
