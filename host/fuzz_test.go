package host

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sparkbench/sparkbench/host/internal/abi"
)

// FuzzABIBoundary calls any flaron/v1 host function with arbitrary
// arguments through the abi_fuzz guest (body: selector, five i32, one i64).
// The host must never panic or hang: each invocation answers, or fails
// with ErrABIViolation (a bad pointer or length) as a *GuestError whose
// Detail names the host function and stays the same for the same failure
// (the pointers go to Info), and the host keeps serving.
func FuzzABIBoundary(f *testing.F) {
	for sel := range abi.FlaronV1 {
		for _, args := range [][6]uint64{
			{0x100, 1, 0x100, 1, 60, 1},
			{0, 0, 0, 0, 0, 0},
			{0x7fff0, 0x20, 0x100, 0x10, 0xffffffff, 1 << 63},
			{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0},
			{0x80000, 0, 0x7ffff, 1, 0, 0},
		} {
			b := make([]byte, 32)
			binary.LittleEndian.PutUint32(b, uint32(sel))
			for i := 0; i < 5; i++ {
				binary.LittleEndian.PutUint32(b[4+4*i:], uint32(args[i]))
			}
			binary.LittleEndian.PutUint64(b[24:], args[5])
			f.Add(b)
		}
	}
	o := defaultEnvOptions()
	o.limits.InvocationTimeout = 2 * time.Second
	e := newEnv(f, o)
	fl := e.load(hostileDir + "abi_fuzz.wasm")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := e.h.Invoke(ctx, fl, &Request{Node: "edge-a", Site: "shop.example", Method: "POST", URL: "https://shop.example/fuzz",
			Headers: [][2]string{{"k", "v"}}, Body: body})
		switch {
		case err == nil:
			if resp.Status != 200 && resp.Status != 400 {
				// The guest may have set any status through resp_set_status.
				if len(body) < 4 || binary.LittleEndian.Uint32(body) != 4 {
					t.Fatalf("status %d", resp.Status)
				}
			}
		case errors.Is(err, ErrABIViolation):
			var ge *GuestError
			if !errors.As(err, &ge) || ge.Kind != KindABIViolation || ge.Func != "handle_request" {
				t.Fatalf("body %x: %#v is not an abi_violation GuestError", body, err)
			}
			fn := abi.FlaronV1[binary.LittleEndian.Uint32(body)].Name
			if !strings.HasPrefix(ge.Detail, fn+": ") || strings.ContainsAny(strings.TrimPrefix(ge.Detail, fn), "0123456789\n") {
				t.Fatalf("body %x: detail %q does not name %s, or varies with the arguments", body, ge.Detail, fn)
			}
		default:
			t.Fatalf("body %x: %v", body, err)
		}
	})
}
