package host

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf16"

	"github.com/tetratelabs/wazero/api"

	"github.com/sparkbench/sparkbench/host/internal/abi"
	"github.com/sparkbench/sparkbench/host/internal/edgeops"
)

// hostFuncs maps "module.name" to the implementation of every function of
// the ABI table. New fails if the table lists a function missing here.
func (h *Host) hostFuncs() map[string]api.GoModuleFunc {
	const v1 = abi.ModuleFlaronV1 + "."
	m := map[string]api.GoModuleFunc{
		v1 + "req_method":      h.reqMethod,
		v1 + "req_url":         h.reqURL,
		v1 + "req_header_get":  h.reqHeaderGet,
		v1 + "req_body":        h.reqBody,
		v1 + "resp_set_status": h.respSetStatus,
		v1 + "resp_header_set": h.respHeaderSet,
		v1 + "resp_body_set":   h.respBodySet,

		v1 + "spark_get":    h.sparkGet,
		v1 + "spark_set":    h.sparkSet,
		v1 + "spark_delete": h.sparkDelete,
		v1 + "spark_list":   h.sparkList,
		v1 + "spark_pull":   h.sparkPull,

		v1 + "plasma_get":       h.plasmaGet,
		v1 + "plasma_set":       h.plasmaSet,
		v1 + "plasma_delete":    h.plasmaDelete,
		v1 + "plasma_increment": h.plasmaAdd(1),
		v1 + "plasma_decrement": h.plasmaAdd(-1),
		v1 + "plasma_list":      h.plasmaList,

		v1 + "beam_fetch": h.beamFetch,

		v1 + "log_info":  h.logAt("info"),
		v1 + "log_warn":  h.logAt("warn"),
		v1 + "log_error": h.logAt("error"),

		v1 + "secret_get": h.secretGet,

		v1 + "ws_send":       wsSend,
		v1 + "ws_close_conn": wsCloseConn,
		v1 + "ws_conn_id":    wsNoResult,
		v1 + "ws_event_type": wsNoResult,
		v1 + "ws_event_data": wsNoResult,
		v1 + "ws_close_code": wsCloseCode,

		"env.abort": envAbort,
		"env.seed":  envSeed,
		"env.trace": h.envTrace,
	}
	ops := map[string]edgeops.Op{}
	for _, op := range edgeops.Ops() {
		ops[op.Name] = op
	}
	for _, f := range abi.FlaronV1 {
		if f.Group != "edgeops" {
			continue
		}
		m[v1+f.Name] = edgeOpFunc(f, ops[f.Name])
	}
	return m
}

// edgeOpFunc adapts an edge op to the argument shape of its ABI signature.
// An op the edgeops package does not provide answers "no result".
func edgeOpFunc(f abi.Func, op edgeops.Op) api.GoModuleFunc {
	name := f.Name
	switch len(f.Params) {
	case 2: // (ptr, len)
		return func(ctx context.Context, _ api.Module, stack []uint64) {
			inst := instanceFrom(ctx)
			in := inst.arg(stack[0], stack[1], name, "argument")
			stack[0] = 0
			var out []byte
			ok := false
			switch {
			case op.Secret != nil:
				// "secret_key" names a site secret.
				out, ok = op.Secret(in, inst.secretLookup)
			case op.Bytes != nil:
				out, ok = op.Bytes(in)
			}
			if ok {
				stack[0] = inst.give(ctx, name, out)
			}
		}
	case 1: // (i32)
		return func(ctx context.Context, _ api.Module, stack []uint64) {
			inst := instanceFrom(ctx)
			n := int32(uint32(stack[0]))
			stack[0] = 0
			if op.Int != nil {
				if out, ok := op.Int(n); ok {
					stack[0] = inst.give(ctx, name, out)
				}
			}
		}
	default: // ()
		return func(ctx context.Context, _ api.Module, stack []uint64) {
			inst := instanceFrom(ctx)
			stack[0] = 0
			if op.None != nil {
				if out, ok := op.None(); ok {
					stack[0] = inst.give(ctx, name, out)
				}
			}
		}
	}
}

// --- request / response ---

func (h *Host) reqMethod(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	stack[0] = 0
	if r := inst.inv.req; r != nil {
		stack[0] = inst.giveString(ctx, "req_method", r.Method)
	}
}

func (h *Host) reqURL(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	stack[0] = 0
	if r := inst.inv.req; r != nil {
		stack[0] = inst.giveString(ctx, "req_url", r.URL)
	}
}

// req_header_get(name) -> i64: the first value of the header, matched
// ASCII case-insensitively, or 0.
func (h *Host) reqHeaderGet(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	name := inst.arg(stack[0], stack[1], "req_header_get", "name")
	stack[0] = 0
	r := inst.inv.req
	if r == nil {
		return
	}
	for i := range r.Headers {
		if equalFoldBytes(name, r.Headers[i][0]) {
			stack[0] = inst.giveString(ctx, "req_header_get", r.Headers[i][1])
			return
		}
	}
}

func (h *Host) reqBody(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	stack[0] = 0
	if r := inst.inv.req; r != nil {
		stack[0] = inst.give(ctx, "req_body", r.Body)
	}
}

func (h *Host) respSetStatus(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	if r := inst.inv.resp; r != nil {
		r.Status = int(int32(uint32(stack[0])))
	}
}

// headerOverhead is what the host counts per header besides its name and
// value (a [2]string), against MaxResponseHeaderBytes.
const headerOverhead = 32

// resp_header_set(name, val): replaces the header if already set.
func (h *Host) respHeaderSet(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	name := inst.arg(stack[0], stack[1], "resp_header_set", "name")
	val := inst.arg(stack[2], stack[3], "resp_header_set", "value")
	r := inst.inv.resp
	if r == nil {
		return
	}
	for i := range r.Headers {
		if equalFoldBytes(name, r.Headers[i][0]) {
			inst.chargeHeaders(len(val) - len(r.Headers[i][1]))
			r.Headers[i][1] = string(val)
			return
		}
	}
	inst.chargeHeaders(len(name) + len(val) + headerOverhead)
	r.Headers = append(r.Headers, [2]string{string(name), string(val)})
}

// chargeHeaders accounts for n more bytes of response headers, failing the
// invocation past MaxResponseHeaderBytes.
func (inst *instance) chargeHeaders(n int) {
	inv := &inst.inv
	inv.headerBytes += n
	if inv.headerBytes > MaxResponseHeaderBytes {
		inst.fail(KindMemoryLimit, "resp_header_set: response headers over "+strconv.Itoa(MaxResponseHeaderBytes>>10)+" KiB",
			strconv.Itoa(len(inv.resp.Headers))+" headers")
	}
}

func (h *Host) respBodySet(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	body := inst.arg(stack[0], stack[1], "resp_body_set", "body")
	if r := inst.inv.resp; r != nil {
		if r.Body == nil && len(body) > 0 {
			r.Body = inst.inv.spare // reused storage, when the caller offered some
		}
		r.Body = append(r.Body[:0], body...)
	}
}

// --- log, secrets, beam ---

// logFuncs names the function that logs at each level.
var logFuncs = map[string]string{"info": "log_info", "warn": "log_warn", "error": "log_error", "trace": "env.trace"}

// logAt defines log_LEVEL(message): one guest log line.
func (h *Host) logAt(level string) api.GoModuleFunc {
	fn := "log_" + level
	return func(ctx context.Context, _ api.Module, stack []uint64) {
		inst := instanceFrom(ctx)
		h.writeLog(inst, level, inst.arg(stack[0], stack[1], fn, "message"))
	}
}

// writeLog writes one guest log line to Config.Log, at most
// Config.LogLinesPerInvocation per invocation whatever function wrote it,
// so no guest can flood the log.
func (h *Host) writeLog(inst *instance, level string, msg []byte) {
	inv := &inst.inv
	inv.logLines++
	inst.lastLog = append(inst.lastLog[:0], msg[:min(len(msg), maxDetail+1)]...)
	inst.lastLogFn = logFuncs[level]
	if inv.logLines > h.logLines {
		return
	}
	node, site := "-", "-"
	if inv.b != nil {
		node, site = inv.b.node.id, inv.b.site.domain
	}
	h.logMu.Lock()
	fmt.Fprintf(h.log, "%s flare[%s] %s/%s: %s\n", level, inst.flare.name, node, site, msg)
	if inv.logLines == h.logLines {
		fmt.Fprintf(h.log, "%s flare[%s] %s/%s: (log capped at %d lines per invocation)\n",
			level, inst.flare.name, node, site, h.logLines)
	}
	h.logMu.Unlock()
}

func (h *Host) secretGet(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	key := inst.arg(stack[0], stack[1], "secret_get", "key")
	stack[0] = 0
	if b := inst.inv.b; b != nil {
		if v, ok := b.site.secrets[string(key)]; ok {
			stack[0] = inst.giveString(ctx, "secret_get", v)
		}
	}
}

// secretLookup resolves a secret name of the invocation's site.
func (inst *instance) secretLookup(name string) ([]byte, bool) {
	b := inst.inv.b
	if b == nil {
		return nil, false
	}
	v, ok := b.site.secrets[name]
	return []byte(v), ok
}

// beam_fetch(url, opts) -> i64: the synthetic origin's JSON answer, after
// its latency (cut short when the caller's context is done); 0 for a
// malformed URL or options.
func (h *Host) beamFetch(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	url := inst.arg(stack[0], stack[1], "beam_fetch", "url")
	opts := inst.arg(stack[2], stack[3], "beam_fetch", "options")
	stack[0] = 0
	fctx := inst.inv.ctx
	if fctx == nil {
		fctx = context.Background()
	}
	// The origin may sleep: copy the arguments out of guest memory first.
	out, err := h.beam.FetchContext(fctx, append([]byte(nil), url...), append([]byte(nil), opts...))
	if err == nil {
		stack[0] = inst.give(ctx, "beam_fetch", out)
	}
}

// --- plasma: one in-memory store shared by every node ---

func (h *Host) plasmaGet(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	key := inst.arg(stack[0], stack[1], "plasma_get", "key")
	stack[0] = 0
	if v, ok := h.plasma.Get(key); ok {
		stack[0] = inst.give(ctx, "plasma_get", v)
	}
}

func (h *Host) plasmaSet(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	key := inst.arg(stack[0], stack[1], "plasma_set", "key")
	val := inst.arg(stack[2], stack[3], "plasma_set", "value")
	stack[0] = uint64(uint32(h.plasma.Set(key, val)))
}

func (h *Host) plasmaDelete(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	key := inst.arg(stack[0], stack[1], "plasma_delete", "key")
	stack[0] = uint64(uint32(h.plasma.Delete(key)))
}

// plasmaAdd returns plasma_increment (sign 1) or plasma_decrement (-1):
// (key, delta i64) -> packed 8-byte little-endian new value.
func (h *Host) plasmaAdd(sign int) api.GoModuleFunc {
	fn := "plasma_increment"
	if sign < 0 {
		fn = "plasma_decrement"
	}
	return func(ctx context.Context, _ api.Module, stack []uint64) {
		inst := instanceFrom(ctx)
		key := inst.arg(stack[0], stack[1], fn, "key")
		delta := int64(stack[2])
		var n int64
		if sign > 0 {
			n = h.plasma.Increment(key, delta)
		} else {
			n = h.plasma.Decrement(key, delta)
		}
		var buf [8]byte
		binary.LittleEndian.PutUint64(buf[:], uint64(n))
		stack[0] = inst.give(ctx, fn, buf[:])
	}
}

func (h *Host) plasmaList(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	stack[0] = inst.give(ctx, "plasma_list", h.plasma.List())
}

// --- websocket: a request flare has no connection; answer as closed ---

const wsCloseNormal = 1000

func wsSend(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	inst.arg(stack[0], stack[1], "ws_send", "data")
	stack[0] = 1 // not sent: the connection is closed
}

func wsCloseConn(context.Context, api.Module, []uint64) {}

func wsNoResult(_ context.Context, _ api.Module, stack []uint64) { stack[0] = 0 }

func wsCloseCode(_ context.Context, _ api.Module, stack []uint64) { stack[0] = wsCloseNormal }

// --- language runtime imports ---

// envAbort is AssemblyScript's abort(msg, file, line, column): the guest
// gave up, so the invocation fails as a trap with the message.
func envAbort(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	msg := inst.asString(uint32(stack[0]))
	file := inst.asString(uint32(stack[1]))
	inst.fail(KindTrap, fmt.Sprintf("env.abort: %s at %s:%d:%d", strconv.Quote(guestLine(msg)), guestLine(file), uint32(stack[2]), uint32(stack[3])), "")
}

// envSeed is AssemblyScript's seed() f64 for Math.random.
func envSeed(_ context.Context, _ api.Module, stack []uint64) {
	stack[0] = math.Float64bits(float64(time.Now().UnixNano()))
}

// envTrace is AssemblyScript's trace(msg, n, a0..a4): logged at info.
func (h *Host) envTrace(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	msg := []byte(inst.asString(uint32(stack[0])))
	// trace(message, n, a0..a4): the first n (at most 5) f64 arguments
	// follow the message, as AssemblyScript's own trace prints them.
	n := min(int(int32(uint32(stack[1]))), 5)
	for i := 0; i < n; i++ {
		if i == 0 {
			msg = append(msg, ' ')
		} else {
			msg = append(msg, ", "...)
		}
		msg = strconv.AppendFloat(msg, math.Float64frombits(stack[2+i]), 'g', -1, 64)
	}
	h.writeLog(inst, "trace", msg)
}

// asString decodes an AssemblyScript string (UTF-16LE, byte length in the
// u32 before ptr), best effort: "" when out of bounds.
func (inst *instance) asString(ptr uint32) string {
	if ptr < 4 {
		return ""
	}
	n, ok := inst.mem.ReadUint32Le(ptr - 4)
	if !ok || n > 4096 {
		return ""
	}
	b, ok := inst.mem.Read(ptr, n&^1)
	if !ok {
		return ""
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}
