package beam

import "time"

// Origin is a synthetic HTTP origin.
type Origin struct {
	Latency  func() time.Duration // nil = none
	Status   int                  // default 200
	BodySize int                  // bytes; default 1024
}

// Fetch answers JSON {"status":..,"headers":{..},"body":".."} for the URL and options JSON.
func (o *Origin) Fetch(url []byte, optsJSON []byte) ([]byte, bool) { return nil, false }
