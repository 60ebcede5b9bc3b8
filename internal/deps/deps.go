// Package deps pins the project's core dependencies in go.mod while the
// packages that use them are being written in parallel. Remove it once every
// dependency below is imported by real code.
package deps

import (
	_ "github.com/HdrHistogram/hdrhistogram-go"
	_ "github.com/cockroachdb/pebble/v2"
	_ "github.com/tetratelabs/wazero"
	_ "github.com/vbauerster/mpb/v8"
	_ "go.etcd.io/bbolt"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/perf/benchmath"
	_ "golang.org/x/perf/benchfmt"
)
