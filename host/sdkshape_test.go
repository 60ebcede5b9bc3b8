package host

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestSDKRuntimeShapes loads modules shaped like the SDK builds that import
// more than flaron/v1: AssemblyScript (env.abort/trace/seed, a start
// section) and a WASI toolchain (WASI imports, _initialize), in every
// timeout mode.
func TestSDKRuntimeShapes(t *testing.T) {
	for _, mode := range []TimeoutMode{TimeoutWatchdog, TimeoutContext, TimeoutClose, TimeoutNone} {
		t.Run(mode.String(), func(t *testing.T) {
			var log bytes.Buffer
			o := defaultEnvOptions()
			o.mode = mode
			o.log = &log
			e := newEnv(t, o)

			as := e.load("testdata/as_like.wasm")
			resp, err := invokeHostile(e, as, &Request{})
			if err != nil {
				t.Fatal(err)
			}
			wantHeaders(t, resp, "x-started", "1")
			if !strings.Contains(log.String(), "trace flare[as_like] edge-a/shop.example: boom") {
				t.Errorf("env.trace not logged: %q", log.String())
			}
			_, err = invokeHostile(e, as, &Request{Body: []byte("x")})
			if !errors.Is(err, ErrTrap) || !strings.Contains(err.Error(), `"boom" at as.ts !:7:3`) {
				t.Errorf("env.abort: %v, want a trap naming message and position", err)
			}

			wasi := e.load("testdata/wasi_like.wasm")
			resp, err = invokeHostile(e, wasi, &Request{})
			if err != nil {
				t.Fatal(err)
			}
			wantHeaders(t, resp, "x-init", "1")
		})
	}
}
