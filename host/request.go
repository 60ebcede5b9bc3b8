package host

import "strconv"

// Request is one HTTP request handed to a flare.
type Request struct {
	Node, Site  string // where the flare runs and for which tenant
	Method, URL string
	Headers     [][2]string
	Body        []byte
	Observer    Observer // per-worker; may be nil
}

// Action is what handle_request asked the edge to do with its response.
type Action uint32

// Actions returned in the high 32 bits of handle_request's result.
const (
	ActionRespond     Action = 1
	ActionTransform   Action = 2
	ActionPassthrough Action = 3
)

// String returns "respond", "transform" or "passthrough".
func (a Action) String() string {
	switch a {
	case ActionRespond:
		return "respond"
	case ActionTransform:
		return "transform"
	case ActionPassthrough:
		return "passthrough"
	}
	return "action(" + strconv.Itoa(int(a)) + ")"
}

// Response is what the flare produced.
type Response struct {
	Action  Action
	Status  int // 200 unless the flare set it
	Headers [][2]string
	Body    []byte
}

// Header returns the first value of the response header name (ASCII
// case-insensitive) and whether it was set.
func (r *Response) Header(name string) (string, bool) {
	for _, h := range r.Headers {
		if equalFoldString(h[0], name) {
			return h[1], true
		}
	}
	return "", false
}

// equalFoldString reports whether a and b are equal under ASCII case folding.
func equalFoldString(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// equalFoldBytes is equalFoldString for a guest-memory name, without
// converting it to a string.
func equalFoldBytes(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
