package beam_test

import (
	"fmt"

	"github.com/sparkbench/sparkbench/host/internal/beam"
)

func ExampleOrigin_Fetch() {
	o := &beam.Origin{Status: 200, BodySize: 16}
	out, ok := o.Fetch([]byte("https://origin.example/a"), []byte(`{"method":"GET"}`))
	fmt.Println(string(out), ok)
	_, ok = o.Fetch([]byte("https://origin.example/a"), []byte(`{"method":`))
	fmt.Println(ok)
	// Output:
	// {"status":200,"headers":{"content-length":"16","content-type":"text/plain; charset=utf-8","etag":"\"6a80e02c5dfa8428-16\"","x-beam-method":"GET","x-beam-request-body-bytes":"0"},"body":"aDNiIsyAfwANAR03"} true
	// false
}
