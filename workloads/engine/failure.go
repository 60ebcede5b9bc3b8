package engine

import (
	"errors"
	"strconv"
	"strings"
	"unsafe"

	"github.com/sparkbench/sparkbench/host"
)

// statusBodyBytes is how much of an unexpected response's body its
// failure message quotes.
const statusBodyBytes = 64

// recordFailure records why the worker's last request failed: code is the
// response's outcome (an invocation error kind's code, or CodeStatus), err
// the invocation's error (nil for an unexpected status, whose message is
// built from the worker's response). It runs only for failed requests; a
// status message is built in the worker's own buffer, so a flare that
// fails every request the same way costs no allocation per request.
func (wk *worker) recordFailure(code int32, err error) {
	if err != nil {
		wk.rec.RecordFailure(code, failureDetail(err))
		return
	}
	b := statusMessage(wk.msg[:0], wk.resp.Status, wk.resp.Body)
	wk.msg = b
	wk.rec.RecordFailure(code, unsafe.String(unsafe.SliceData(b), len(b)))
}

// statusMessage appends `HTTP 500: "first bytes of the body"` (quoted as
// Go quotes, "…" after it when the body is longer), or `HTTP 500 (empty
// body)`.
func statusMessage(b []byte, status int, body []byte) []byte {
	b = append(b, "HTTP "...)
	b = strconv.AppendInt(b, int64(status), 10)
	if len(body) == 0 {
		return append(b, " (empty body)"...)
	}
	n := min(len(body), statusBodyBytes)
	b = append(b, ": "...)
	b = strconv.AppendQuote(b, unsafe.String(&body[0], n))
	if n < len(body) {
		b = append(b, "…"...)
	}
	return b
}

// failureDetail is the line a failed invocation is counted by in the
// report: what failed, without the flare's name (the scenario says which
// flare) and without the error kind (the report's outcome column says
// it), so that the same failure always reads the same: "integer divide by
// zero", `env.abort: "boom" at file.ts:7:5`, "stopped after 1s",
// "spark_set: value outside guest memory". It is the host's
// GuestError.Detail, prefixed with the guest function when that is not
// handle_request; an error of another kind (the run being stopped) is
// counted by its text without the flare's name.
func failureDetail(err error) string {
	var ge *host.GuestError
	if errors.As(err, &ge) {
		if ge.Func != "" && ge.Func != "handle_request" {
			return ge.Func + ": " + ge.Detail
		}
		return ge.Detail
	}
	s := err.Error()
	if strings.HasPrefix(s, "flare[") {
		if i := strings.Index(s, "] "); i >= 0 {
			s = s[i+2:]
		}
	}
	return strings.TrimPrefix(s, "handle_request: ")
}
