package host

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/sparkbench/sparkbench/internal/clock"
	"github.com/sparkbench/sparkbench/store"
)

// The spark_* host functions: the Spark contract (docs/ARCHITECTURE.md)
// and the public SDK, exactly.

func (inv *invocation) limit(l Limit, refused bool) {
	if inv.obs != nil {
		inv.obs.ObserveLimit(l, refused)
	}
}

// callStart returns the start time of a timed host call, or 0 without an
// observer (then no clock is read).
func (inv *invocation) callStart() time.Duration {
	if inv.obs == nil {
		return 0
	}
	return clock.Now()
}

// callEnd reports a host call begun at t0 to the observer, if any.
func (inv *invocation) callEnd(op Op, code int32, t0 time.Duration) {
	if inv.obs != nil {
		inv.obs.ObserveCall(op, code, clock.Since(t0))
	}
}

// take spends one unit of a per-invocation count limit: it records the
// decision and reports whether the call may go on (used < max).
func (inv *invocation) take(l Limit, used *int, max int) bool {
	if *used >= max {
		inv.limit(l, true)
		return false
	}
	*used++
	inv.limit(l, false)
	return true
}

// spark_get(key_ptr, key_len) -> i64: u32 LE remaining TTL || value, or 0.
func (h *Host) sparkGet(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	key := inst.arg(stack[0], stack[1], "spark_get", "key")
	t0 := inst.inv.callStart()
	res, code := inst.sparkGet(ctx, key)
	stack[0] = res
	inst.inv.callEnd(OpSparkGet, code, t0)
}

func (inst *instance) sparkGet(ctx context.Context, key []byte) (uint64, int32) {
	inv := &inst.inv
	b := inv.b
	if b == nil || b.spark == nil {
		return 0, int32(store.NotAvailable)
	}
	if !inv.take(LimitReads, &inv.reads, inst.h.limits.MaxReadsPerInvocation) {
		return 0, int32(store.ReadLimit)
	}
	v, ttl, ok := b.spark.Get(key)
	if !ok {
		if !store.ValidKey(key) {
			return 0, int32(store.BadKey) // a miss to the guest
		}
		return 0, CodeMiss
	}
	n := 4 + len(v)
	p := inst.allocate(ctx, "spark_get", n)
	if p == 0 {
		return 0, int32(store.OK)
	}
	inst.mem.WriteUint32Le(p, ttl)
	inst.mem.Write(p+4, v)
	return pack(p, n), int32(store.OK)
}

// spark_set(key_ptr, key_len, val_ptr, val_len, ttl_secs) -> i32 code.
func (h *Host) sparkSet(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	key := inst.arg(stack[0], stack[1], "spark_set", "key")
	val := inst.arg(stack[2], stack[3], "spark_set", "value")
	ttl := int32(uint32(stack[4]))
	t0 := inst.inv.callStart()
	code := inst.sparkSet(key, val, ttl)
	stack[0] = uint64(uint32(code))
	inst.inv.callEnd(OpSparkSet, int32(code), t0)
}

// sparkSet checks in the contract's order (docs/ARCHITECTURE.md):
// capability, key, TTL, size, write limit, then the store checks quota and
// writes.
func (inst *instance) sparkSet(key, val []byte, ttl int32) store.Code {
	inv := &inst.inv
	b := inv.b
	if b == nil || b.spark == nil {
		return store.NotAvailable
	}
	if !b.site.writesSpark {
		inv.limit(LimitCapability, true)
		return store.NoCapability
	}
	inv.limit(LimitCapability, false)
	if !store.ValidKey(key) {
		return store.BadKey
	}
	if ttl < 0 || int64(ttl) > b.node.maxTTL {
		inv.limit(LimitTTL, true)
		return store.InvalidTTL
	}
	inv.limit(LimitTTL, false)
	if len(val) > b.node.maxValue {
		inv.limit(LimitValueBytes, true)
		return store.TooLarge
	}
	inv.limit(LimitValueBytes, false)
	if !inv.take(LimitWrites, &inv.writes, inst.h.limits.MaxWritesPerInvocation) {
		return store.WriteLimit
	}
	code := b.spark.Set(key, val, int64(ttl))
	switch code {
	case store.OK:
		inv.limit(LimitQuota, false)
	case store.QuotaExceeded:
		inv.limit(LimitQuota, true)
	}
	return code
}

// spark_delete(key_ptr, key_len): failures are silent to the guest but
// recorded.
func (h *Host) sparkDelete(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	key := inst.arg(stack[0], stack[1], "spark_delete", "key")
	t0 := inst.inv.callStart()
	code := inst.sparkDelete(key)
	inst.inv.callEnd(OpSparkDelete, int32(code), t0)
}

// sparkDelete checks capability, write limit, key, then deletes.
func (inst *instance) sparkDelete(key []byte) store.Code {
	inv := &inst.inv
	b := inv.b
	if b == nil || b.spark == nil {
		return store.NotAvailable
	}
	if !b.site.writesSpark {
		inv.limit(LimitCapability, true)
		return store.NoCapability
	}
	inv.limit(LimitCapability, false)
	if !inv.take(LimitWrites, &inv.writes, inst.h.limits.MaxWritesPerInvocation) {
		return store.WriteLimit
	}
	if !store.ValidKey(key) {
		return store.BadKey
	}
	return b.spark.Delete(key)
}

// spark_list() -> i64: JSON array of the site's live keys, or 0.
func (h *Host) sparkList(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	t0 := inst.inv.callStart()
	res, code := inst.sparkList(ctx)
	stack[0] = res
	inst.inv.callEnd(OpSparkList, code, t0)
}

func (inst *instance) sparkList(ctx context.Context) (uint64, int32) {
	inv := &inst.inv
	b := inv.b
	if b == nil || b.spark == nil {
		return 0, int32(store.NotAvailable)
	}
	if !inv.take(LimitReads, &inv.reads, inst.h.limits.MaxReadsPerInvocation) {
		return 0, int32(store.ReadLimit)
	}
	return inst.give(ctx, "spark_list", appendKeysJSON(nil, b.spark.List())), int32(store.OK)
}

// appendKeysJSON encodes keys as a JSON array. Valid keys need no escaping.
func appendKeysJSON(dst []byte, keys []string) []byte {
	dst = append(dst, '[')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, '"')
	}
	return append(dst, ']')
}

// spark_pull(origin_ptr, origin_len, keys_ptr, keys_len) -> i32: keys
// migrated (>= 0) or the negated code.
func (h *Host) sparkPull(ctx context.Context, _ api.Module, stack []uint64) {
	inst := instanceFrom(ctx)
	origin := inst.arg(stack[0], stack[1], "spark_pull", "origin")
	keysJSON := inst.arg(stack[2], stack[3], "spark_pull", "keys")
	t0 := inst.inv.callStart()
	rc := inst.sparkPull(string(origin), keysJSON)
	stack[0] = uint64(uint32(rc))
	code := int32(0) // a count of migrated keys is a success
	if rc < 0 {
		code = -rc
	}
	inst.inv.callEnd(OpSparkPull, code, t0)
}

// sparkPull checks capability (-9), the pull limit (-3), the origin id,
// keys JSON, key validity and key count (-8), the origin node (-8), and
// Spark on both nodes (-5); then copies the live listed keys, keeping
// their absolute expiry. Keys refused locally (quota) are skipped.
func (inst *instance) sparkPull(origin string, keysJSON []byte) int32 {
	inv := &inst.inv
	h := inst.h
	b := inv.b
	if b == nil {
		return -int32(store.NotAvailable)
	}
	if !b.site.writesSpark {
		inv.limit(LimitCapability, true)
		return -int32(store.NoCapability)
	}
	inv.limit(LimitCapability, false)
	if !inv.take(LimitPulls, &inv.pulls, h.limits.MaxPullsPerInvocation) {
		return -int32(store.WriteLimit)
	}
	if !validNodeID(origin) {
		return -int32(store.BadKey)
	}
	keys, ok := parseKeys(keysJSON)
	if !ok {
		return -int32(store.BadKey)
	}
	if len(keys) > h.limits.MaxPullKeys {
		inv.limit(LimitPullKeys, true)
		return -int32(store.BadKey)
	}
	inv.limit(LimitPullKeys, false)
	for _, k := range keys {
		if !store.ValidKey([]byte(k)) {
			return -int32(store.BadKey)
		}
	}
	on, ok := h.nodes[origin]
	if !ok {
		return -int32(store.BadKey)
	}
	if b.spark == nil || on.store == nil {
		return -int32(store.NotAvailable)
	}
	ctx := inv.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	entries, err := h.transport.Pull(ctx, origin, b.site.domain, keys)
	switch {
	case errors.Is(err, ErrUnknownNode):
		return -int32(store.BadKey)
	case errors.Is(err, ErrSparkDisabled):
		return -int32(store.NotAvailable)
	case err != nil:
		return -int32(store.Internal)
	}
	var written int32
	internal := false
	for _, e := range entries {
		ok, code := b.spark.Import(e)
		switch {
		case ok:
			written++
			inv.limit(LimitQuota, false)
		case code == store.QuotaExceeded:
			inv.limit(LimitQuota, true)
		case code == store.Internal:
			internal = true
		}
	}
	if internal {
		return -int32(store.Internal)
	}
	return written
}

// validNodeID: 1..256 bytes of the key alphabet (node ids are names such
// as "edge-fra").
func validNodeID(id string) bool {
	if len(id) == 0 || len(id) > store.MaxKeyBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == ':' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// parseKeys accepts exactly a JSON array of strings.
func parseKeys(b []byte) ([]string, bool) {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return nil, false
	}
	keys := make([]string, len(raw))
	for i, r := range raw {
		if len(r) == 0 || r[0] != '"' {
			return nil, false
		}
		if err := json.Unmarshal(r, &keys[i]); err != nil {
			return nil, false
		}
	}
	return keys, true
}
