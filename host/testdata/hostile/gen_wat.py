"""gen_wat.py - writes every hostile fixture's .wat into this directory.

The dispatch tables of abi_oob and abi_fuzz follow the function order of
host/internal/abi.FlaronV1 (FUNCS below); regenerate after changing it, then
run ./build.sh. Needs only python3. The .wat files are the committed sources;
this script is a convenience for edits that touch many of them.
"""
import os
OUT = os.path.dirname(os.path.abspath(__file__))
FUNCS = [
 ("req_method", [], "i64"), ("req_url", [], "i64"), ("req_header_get", ["i32","i32"], "i64"), ("req_body", [], "i64"),
 ("resp_set_status", ["i32"], None), ("resp_header_set", ["i32"]*4, None), ("resp_body_set", ["i32"]*2, None),
 ("spark_get", ["i32"]*2, "i64"), ("spark_set", ["i32"]*5, "i32"), ("spark_delete", ["i32"]*2, None), ("spark_list", [], "i64"),
 ("spark_pull", ["i32"]*4, "i32"),
 ("plasma_get", ["i32"]*2, "i64"), ("plasma_set", ["i32"]*4, "i32"), ("plasma_delete", ["i32"]*2, "i32"),
 ("plasma_increment", ["i32","i32","i64"], "i64"), ("plasma_decrement", ["i32","i32","i64"], "i64"), ("plasma_list", [], "i64"),
 ("beam_fetch", ["i32"]*4, "i64"),
 ("log_info", ["i32"]*2, None), ("log_warn", ["i32"]*2, None), ("log_error", ["i32"]*2, None),
 ("crypto_hash", ["i32"]*2, "i64"), ("crypto_hmac", ["i32"]*2, "i64"), ("crypto_sign_jwt", ["i32"]*2, "i64"),
 ("crypto_encrypt_aes", ["i32"]*2, "i64"), ("crypto_decrypt_aes", ["i32"]*2, "i64"), ("crypto_random_bytes", ["i32"], "i64"),
 ("encoding_base64_encode", ["i32"]*2, "i64"), ("encoding_base64_decode", ["i32"]*2, "i64"),
 ("encoding_hex_encode", ["i32"]*2, "i64"), ("encoding_hex_decode", ["i32"]*2, "i64"),
 ("encoding_url_encode", ["i32"]*2, "i64"), ("encoding_url_decode", ["i32"]*2, "i64"),
 ("id_uuid", ["i32"]*2, "i64"), ("id_ulid", [], "i64"), ("id_nanoid", ["i32"], "i64"), ("id_ksuid", [], "i64"),
 ("id_snowflake", [], "i64"), ("snowflake_id", [], "i64"), ("timestamp", ["i32"]*2, "i64"), ("secret_get", ["i32"]*2, "i64"),
 ("ws_send", ["i32"]*2, "i32"), ("ws_close_conn", ["i32"], None), ("ws_conn_id", [], "i64"), ("ws_event_type", [], "i64"),
 ("ws_event_data", [], "i64"), ("ws_close_code", [], "i32"),
]
NOPTR = {"resp_set_status", "crypto_random_bytes", "id_nanoid", "ws_close_conn"}
SIG = {n: (p, r) for n, p, r in FUNCS}

def imp(name):
    p, r = SIG[name]
    s = f'  (import "flaron/v1" "{name}" (func ${name}'
    if p: s += " (param " + " ".join(p) + ")"
    if r: s += f" (result {r})"
    return s + "))"

ALLOC = '''
  ;; A bump arena of 256 KiB at 0x10000, reset by handle_request, like the
  ;; runtime of the reference flares: alloc answers 0 when full.
  (global $bump (mut i32) (i32.const 0x10000))
  (func $alloc (export "alloc") (param $n i32) (result i32)
    (local $p i32)
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 0))))
    (local.set $p (i32.and (i32.add (global.get $bump) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (local.get $n) (i32.sub (i32.const 0x50000) (local.get $p)))
      (then (return (i32.const 0))))
    (global.set $bump (i32.add (local.get $p) (local.get $n)))
    (local.get $p))
'''

# $dec writes v (unsigned) in decimal at dst and returns the length.
DEC = '''
  (func $dec (param $v i32) (param $dst i32) (result i32)
    (local $n i32) (local $t i32) (local $i i32)
    (local.set $t (local.get $v))
    (local.set $n (i32.const 1))
    (block $done
      (loop $count
        (br_if $done (i32.lt_u (local.get $t) (i32.const 10)))
        (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $count)))
    (local.set $i (local.get $n))
    (loop $write
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (local.get $dst) (local.get $i))
        (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $write (local.get $i)))
    (local.get $n))
  ;; $hdr sets response header (name at $np, $nl) to the decimal of $v.
  (func $hdr (param $np i32) (param $nl i32) (param $v i32)
    (call $resp_header_set (local.get $np) (local.get $nl)
      (i32.const 0xf00) (call $dec (local.get $v) (i32.const 0xf00))))
'''

# $body_word reads little-endian u32 number $i of the request body (0 when
# the body is shorter).
BODYWORD = '''
  (func $body_word (param $i i32) (result i32)
    (local $packed i64) (local $ptr i32) (local $len i32) (local $off i32)
    (local.set $packed (call $req_body))
    (local.set $ptr (i32.wrap_i64 (i64.shr_u (local.get $packed) (i64.const 32))))
    (local.set $len (i32.wrap_i64 (local.get $packed)))
    (local.set $off (i32.mul (local.get $i) (i32.const 4)))
    (if (i32.lt_u (local.get $len) (i32.add (local.get $off) (i32.const 4)))
      (then (return (i32.const 0))))
    (i32.load (i32.add (local.get $ptr) (local.get $off))))
'''

def module(doc, imports, body, memory=8, alloc=True, raw_imports=""):
    lines = [";; " + l if l else ";;" for l in doc.strip().split("\n")]
    s = "\n".join(lines) + "\n(module\n"
    s += "\n".join(imp(n) for n in imports) + "\n" + raw_imports
    s += f'  (memory (export "memory") {memory})\n'
    if alloc: s += ALLOC
    s += body
    s += ")\n"
    return s

def write(name, text):
    with open(os.path.join(OUT, name + ".wat"), "w") as f:
        f.write(text)

RESPOND = "(i64.const 0x100000000)"  # action Respond = 1 << 32

# ---------------------------------------------------------------- abi_fuzz
def dispatch(arg_for, res_store):
    # nested blocks: br_table picks the block whose end precedes the call.
    n = len(FUNCS)
    s = "    (block $done\n      (block $default\n"
    for i in reversed(range(n)):
        s += f"      (block $f{i}\n"
    s += "        (br_table " + " ".join(f"$f{i}" for i in range(n)) + " $default (local.get $sel)))\n"
    for i, (name, params, res) in enumerate(FUNCS):
        args = " ".join(arg_for(name, j, t) for j, t in enumerate(params))
        call = f"(call ${name} {args})".replace(" )", ")")
        if res == "i64":
            s += f"      {res_store(call)}\n"
        elif res == "i32":
            s += f"      {res_store('(i64.extend_i32_s ' + call + ')')}\n"
        else:
            s += f"      {call}\n"
        s += f"      (br $done))\n"
    s += "      ;; unknown selector\n      (call $resp_set_status (i32.const 400))\n      (return " + RESPOND + "))\n"
    return s

fuzz_doc = '''abi_fuzz: the fuzz target for the flaron/v1 boundary.

The request body is 32 bytes, little endian (shorter bodies are zero-padded):
  [0:4)   selector: index of the host function in host/internal/abi.FlaronV1
          (0 req_method ... 47 ws_close_code; see README.md)
  [4:24)  a0..a4: the i32 arguments, in order (unused ones ignored)
  [24:32) d: the i64 argument (plasma_increment/decrement delta)
The module calls that host function with exactly those arguments and answers
200 with the 8-byte little-endian result (i32 results sign-extended, 0 for
functions without a result). An unknown selector answers 400.
The host must never crash or hang: each call either returns or ends the
invocation with a classified error (abi_violation for bad pointers).'''

def fuzz_arg(name, j, t):
    if t == "i64":
        return "(i64.load (i32.const 0x218))"
    return f"(i32.load (i32.const {0x204 + 4*j}))"

fuzz_body = '''
  (func (export "handle_request") (result i64)
    (local $packed i64) (local $ptr i32) (local $len i32) (local $i i32) (local $sel i32)
    (global.set $bump (i32.const 0x10000))
    ;; copy up to 32 body bytes into a zeroed scratch at 0x200
    (i64.store (i32.const 0x200) (i64.const 0))
    (i64.store (i32.const 0x208) (i64.const 0))
    (i64.store (i32.const 0x210) (i64.const 0))
    (i64.store (i32.const 0x218) (i64.const 0))
    (local.set $packed (call $req_body))
    (local.set $ptr (i32.wrap_i64 (i64.shr_u (local.get $packed) (i64.const 32))))
    (local.set $len (i32.wrap_i64 (local.get $packed)))
    (if (i32.gt_u (local.get $len) (i32.const 32)) (then (local.set $len (i32.const 32))))
    (block $copied
      (loop $copy
        (br_if $copied (i32.ge_u (local.get $i) (local.get $len)))
        (i32.store8 (i32.add (i32.const 0x200) (local.get $i))
          (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
    (local.set $sel (i32.load (i32.const 0x200)))
    (i64.store (i32.const 0x300) (i64.const 0))
''' + dispatch(fuzz_arg, lambda v: f"(i64.store (i32.const 0x300) {v})") + '''
    (call $resp_set_status (i32.const 200))
    (call $resp_body_set (i32.const 0x300) (i32.const 8))
    ''' + RESPOND + ''')
'''
write("abi_fuzz", module(fuzz_doc, [n for n, _, _ in FUNCS], fuzz_body))

# ---------------------------------------------------------------- abi_oob
oob_doc = '''abi_oob: out-of-bounds (ptr, len) arguments on every host function that
takes a pointer.

The request body is two little-endian u32: selector, mode.
  selector  index in host/internal/abi.FlaronV1 (see README.md); functions
            without a pointer argument (resp_set_status, crypto_random_bytes,
            id_nanoid, ws_close_conn, and the argument-less ones) answer 400.
  mode & 15 how the bad pair is formed (memory is 8 pages = 0x80000 bytes):
            0: ptr = memory size, len = 1        (starts past the end)
            1: ptr = memory size - 1, len = 2    (straddles the end)
            2: ptr = 0x100, len = 0x7fffffff     (huge length)
            3: ptr = 0x100, len = -1             (negative length)
            4: ptr = 0xfffffff0, len = 0x20      (ptr + len wraps 2^32)
  mode & 16 for functions with two (ptr, len) pairs (resp_header_set,
            spark_set, spark_pull, plasma_set, beam_fetch): the first pair is
            valid ("k" at 0x100) and the second is bad. Otherwise the first
            pair is bad and any second pair is valid.
Other arguments: spark_set ttl 60, plasma_increment/decrement delta 1.
Every call must end the invocation with abi_violation and write nothing.
If the host wrongly accepts the call the module answers 200.'''

TWO_PAIRS = {"resp_header_set", "spark_set", "spark_pull", "plasma_set", "beam_fetch"}
def oob_arg(name, j, t):
    if t == "i64": return "(i64.const 1)"
    if name == "spark_set" and j == 4: return "(i32.const 60)"
    pair = j // 2
    is_ptr = j % 2 == 0
    bad = "(local.get $bad_first)" if pair == 0 else "(i32.eqz (local.get $bad_first))"
    if is_ptr:
        return f"(select (local.get $bp) (i32.const 0x100) {bad})"
    return f"(select (local.get $bl) (i32.const 1) {bad})"

def oob_dispatch():
    n = len(FUNCS)
    s = "    (block $done\n      (block $default\n"
    for i in reversed(range(n)):
        s += f"      (block $f{i}\n"
    s += "        (br_table " + " ".join(f"$f{i}" for i in range(n)) + " $default (local.get $sel)))\n"
    for i, (name, params, res) in enumerate(FUNCS):
        if name in NOPTR or not params:
            s += f"      ;; {name}: no pointer argument\n      (br $default))\n"
            continue
        args = " ".join(oob_arg(name, j, t) for j, t in enumerate(params))
        call = f"(call ${name} {args})"
        if res: call = f"(drop {call})"
        s += f"      ;; {name}\n      {call}\n      (br $done))\n"
    s += "      (call $resp_set_status (i32.const 400))\n      (return " + RESPOND + "))\n"
    return s

oob_body = BODYWORD + '''
  (func (export "handle_request") (result i64)
    (local $sel i32) (local $mode i32) (local $kind i32) (local $bp i32) (local $bl i32)
    (local $bad_first i32) (local $memsize i32)
    (global.set $bump (i32.const 0x10000))
    (local.set $sel (call $body_word (i32.const 0)))
    (local.set $mode (call $body_word (i32.const 1)))
    (local.set $kind (i32.and (local.get $mode) (i32.const 15)))
    (local.set $memsize (i32.shl (memory.size) (i32.const 16)))
    (local.set $bad_first (i32.const 1))
    (if (i32.and (local.get $mode) (i32.const 16))
      (then
        (local.set $bad_first
          (i32.or (i32.or (i32.eq (local.get $sel) (i32.const 5)) (i32.eq (local.get $sel) (i32.const 8)))
            (i32.or (i32.or (i32.eq (local.get $sel) (i32.const 11)) (i32.eq (local.get $sel) (i32.const 13)))
              (i32.eq (local.get $sel) (i32.const 18)))))
        (local.set $bad_first (i32.eqz (local.get $bad_first)))))
    (block $formed
      (if (i32.eq (local.get $kind) (i32.const 0)) (then
        (local.set $bp (local.get $memsize)) (local.set $bl (i32.const 1)) (br $formed)))
      (if (i32.eq (local.get $kind) (i32.const 1)) (then
        (local.set $bp (i32.sub (local.get $memsize) (i32.const 1))) (local.set $bl (i32.const 2)) (br $formed)))
      (if (i32.eq (local.get $kind) (i32.const 2)) (then
        (local.set $bp (i32.const 0x100)) (local.set $bl (i32.const 0x7fffffff)) (br $formed)))
      (if (i32.eq (local.get $kind) (i32.const 3)) (then
        (local.set $bp (i32.const 0x100)) (local.set $bl (i32.const -1)) (br $formed)))
      (if (i32.eq (local.get $kind) (i32.const 4)) (then
        (local.set $bp (i32.const 0xfffffff0)) (local.set $bl (i32.const 0x20)) (br $formed)))
      (call $resp_set_status (i32.const 400))
      (return ''' + RESPOND + '''))
''' + oob_dispatch() + '''
    ;; the host accepted an out-of-bounds argument
    (call $resp_set_status (i32.const 200))
    ''' + RESPOND + ''')
  (data (i32.const 0x100) "k")
'''
write("abi_oob", module(oob_doc, [n for n, _, _ in FUNCS], oob_body))

# ---------------------------------------------------------------- alloc fixtures
alloc_calls = '''
    ;; four host calls that always have data to return
    (local.set $n (i32.add (local.get $n) (i64.ne (call $req_method) (i64.const 0))))
    (local.set $n (i32.add (local.get $n) (i64.ne (call $req_url) (i64.const 0))))
    (local.set $n (i32.add (local.get $n) (i64.ne (call $id_ulid) (i64.const 0))))
    (local.set $n (i32.add (local.get $n)
      (i64.ne (call $encoding_hex_encode (i32.const 0x100) (i32.const 1)) (i64.const 0))))
'''
write("alloc_zero", module('''alloc_zero: alloc always answers 0 (a full arena).

handle_request calls req_method, req_url, id_ulid and encoding_hex_encode("k"),
all of which have data to return, and answers 200 with header x-results set
to how many of them returned non-zero.
Expected: not an error. The host returns 0 ("no result") from each call
(DESIGN §2), so the invocation succeeds with status 200 and x-results: 0.''',
 ["req_method", "req_url", "id_ulid", "encoding_hex_encode", "resp_set_status", "resp_header_set"], '''
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
''' + DEC + '''
  (func (export "handle_request") (result i64)
    (local $n i32)''' + alloc_calls + '''
    (call $resp_set_status (i32.const 200))
    (call $hdr (i32.const 0x110) (i32.const 9) (local.get $n))
    ''' + RESPOND + ''')
  (data (i32.const 0x100) "k")
  (data (i32.const 0x110) "x-results")
''', alloc=False))

write("alloc_oob", module('''alloc_oob: alloc answers a pointer the host cannot write n bytes at.

The bad pointer depends on the requested size n, so a test picks it through
the length of the request URL (n = len(url) for req_url):
  n % 3 == 0: memory size          (past the end)
  n % 3 == 1: memory size - 1      (straddles the end: n > 1)
  n % 3 == 2: 0xfffffff0           (ptr + n wraps 2^32 when n >= 16)
handle_request calls req_url (use an absolute URL of 16 bytes or more), then
answers 200.
Expected: abi_violation on that host call; nothing is written into guest
memory, the instance is discarded, other instances keep serving.''',
 ["req_url", "resp_set_status"], '''
  (func (export "alloc") (param $n i32) (result i32)
    (local $m i32)
    (local.set $m (i32.rem_u (local.get $n) (i32.const 3)))
    (if (i32.eqz (local.get $m)) (then (return (i32.shl (memory.size) (i32.const 16)))))
    (if (i32.eq (local.get $m) (i32.const 1))
      (then (return (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 1)))))
    (i32.const 0xfffffff0))
  (func (export "handle_request") (result i64)
    (drop (call $req_url))
    (call $resp_set_status (i32.const 200))
    ''' + RESPOND + ''')
''', alloc=False))

write("alloc_trap", module('''alloc_trap: alloc traps (unreachable).

handle_request calls req_url, whose data the host must place through alloc.
Expected: alloc_failed (the guest's alloc trapped while the host was
returning data); the instance is discarded.''',
 ["req_url", "resp_set_status"], '''
  (func (export "alloc") (param i32) (result i32) (unreachable))
  (func (export "handle_request") (result i64)
    (drop (call $req_url))
    (call $resp_set_status (i32.const 200))
    ''' + RESPOND + ''')
''', alloc=False))

# ---------------------------------------------------------------- runaway guests
write("infinite_loop", module('''infinite_loop: handle_request never returns and calls nothing.

Expected: timeout after Limits.InvocationTimeout (the host must stop a guest
that never calls back into it); the instance is discarded. With timeouts
disabled (InvocationTimeout 0) this module hangs: do not run it so.''',
 [], '''
  (func (export "handle_request") (result i64)
    (loop $forever (br $forever))
    (unreachable))
''', memory=1))

write("hostcall_loop", module('''hostcall_loop: an endless loop that keeps calling the host (spark_get "k").

After max_reads_per_invocation reads spark_get keeps answering 0; the guest
goes on. Expected: timeout after Limits.InvocationTimeout, every read past
the limit refused (recorded), the instance discarded.''',
 ["spark_get"], '''
  (func (export "handle_request") (result i64)
    (loop $forever
      (drop (call $spark_get (i32.const 0x100) (i32.const 1)))
      (br $forever))
    (unreachable))
  (data (i32.const 0x100) "k")
'''))

write("deep_recursion", module('''deep_recursion: unbounded recursion until the wasm call stack overflows.

Expected: trap "stack exhausted" within microseconds, in every timeout
mode: the host's stack guard stops it at Limits.MaxStackBytes (1 MiB of
estimated frames) instead of letting wazero grow its stack to 80 MiB; the
host goroutine stays healthy and the instance is discarded.''',
 [], '''
  (func $down (param $depth i64) (result i64)
    (i64.add (call $down (i64.add (local.get $depth) (i64.const 1))) (local.get $depth)))
  (func (export "handle_request") (result i64)
    (call $down (i64.const 0)))
''', memory=1))

write("memory_bomb", module('''memory_bomb: grows memory one page at a time until memory.grow fails,
then traps (unreachable), as a guest whose allocator ran dry would.

Expected: memory_limit (memory.grow was refused at Limits.MaxMemoryPages and
the guest then trapped); the instance is discarded, its memory released.''',
 [], '''
  (func (export "handle_request") (result i64)
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    (unreachable))
''', memory=1))

write("huge_memory", module('''huge_memory: declares an initial memory of 1024 pages (64 MiB), above the
default cap of 256 pages (Limits.MaxMemoryPages).

Expected: memory_limit when the host loads or instantiates it (or the module
is refused at Load with a clear line naming the memory cap).''',
 [], '''
  (func (export "handle_request") (result i64)
    ''' + RESPOND + ''')
''', memory=1024))

write("trap", module('''trap: handle_request executes unreachable.

Expected: trap; the instance is discarded and the next invocation runs on a
fresh one.''',
 [], '''
  (func (export "handle_request") (result i64)
    (unreachable))
''', memory=1))

write("bad_action", module('''bad_action: handle_request answers action 7 (only 1 Respond, 2 Transform,
3 Passthrough exist).

Expected: abi_violation ("unknown action").''',
 [], '''
  (func (export "handle_request") (result i64)
    (i64.const 0x700000000))
''', memory=1))

# ---------------------------------------------------------------- spark pressure
write("spark_set_10k", module('''spark_set_10k: 10,000 spark_set calls in one invocation, keys "h0000".."h9999",
value "v", TTL 0.

Answers 200 with headers (decimal):
  x-ok           calls that returned 0
  x-write-limit  calls that returned 3 (WriteLimit)
  x-other        calls that returned anything else
  x-first-other  the first such other code (0 if none)
Expected with default limits (100 writes) and the writes_spark_kv
capability: x-ok 100, x-write-limit 9900, x-other 0; keys h0000..h0099 exist
afterwards and h0100..h9999 do not (a refused call writes nothing). Without
the capability: x-other 10000, x-first-other 9. Spark disabled: x-first-other 5.''',
 ["spark_set", "resp_set_status", "resp_header_set"], DEC + '''
  (func (export "handle_request") (result i64)
    (local $i i32) (local $code i32) (local $ok i32) (local $wl i32) (local $other i32) (local $first i32)
    (global.set $bump (i32.const 0x10000))
    (i32.store8 (i32.const 0x500) (i32.const 104)) ;; 'h'
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (i32.const 10000)))
        (i32.store8 (i32.const 0x501) (i32.add (i32.const 48) (i32.div_u (local.get $i) (i32.const 1000))))
        (i32.store8 (i32.const 0x502)
          (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $i) (i32.const 100)) (i32.const 10))))
        (i32.store8 (i32.const 0x503)
          (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $i) (i32.const 10)) (i32.const 10))))
        (i32.store8 (i32.const 0x504) (i32.add (i32.const 48) (i32.rem_u (local.get $i) (i32.const 10))))
        (local.set $code (call $spark_set (i32.const 0x500) (i32.const 5) (i32.const 0x600) (i32.const 1) (i32.const 0)))
        (if (i32.eqz (local.get $code))
          (then (local.set $ok (i32.add (local.get $ok) (i32.const 1))))
          (else
            (if (i32.eq (local.get $code) (i32.const 3))
              (then (local.set $wl (i32.add (local.get $wl) (i32.const 1))))
              (else
                (local.set $other (i32.add (local.get $other) (i32.const 1)))
                (if (i32.eqz (local.get $first)) (then (local.set $first (local.get $code))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $resp_set_status (i32.const 200))
    (call $hdr (i32.const 0x700) (i32.const 4) (local.get $ok))
    (call $hdr (i32.const 0x710) (i32.const 13) (local.get $wl))
    (call $hdr (i32.const 0x720) (i32.const 7) (local.get $other))
    (call $hdr (i32.const 0x730) (i32.const 13) (local.get $first))
    ''' + RESPOND + ''')
  (data (i32.const 0x600) "v")
  (data (i32.const 0x700) "x-ok")
  (data (i32.const 0x710) "x-write-limit")
  (data (i32.const 0x720) "x-other")
  (data (i32.const 0x730) "x-first-other")
'''))

write("big_value", module('''big_value: spark_set("big", <SIZE zero bytes>, 0), then spark_get("big").

SIZE is the request body read as a little-endian u32; an empty body means
1 MiB (1048576). Up to 2 MiB fits in this module's memory.
Answers 200 with headers x-code (spark_set's return, decimal) and x-after
("hit" or "miss": whether "big" exists afterwards).
Expected with default limits (max_value_bytes 64 KiB): x-code 2 (TooLarge),
x-after miss (a refused call writes nothing). SIZE 65536 gives x-code 0 and
x-after hit (given quota); 65537 gives 2.''',
 ["req_body", "spark_set", "spark_get", "resp_set_status", "resp_header_set"], DEC + BODYWORD + '''
  (func (export "handle_request") (result i64)
    (local $size i32) (local $code i32)
    (global.set $bump (i32.const 0x10000))
    (local.set $size (call $body_word (i32.const 0)))
    (if (i32.eqz (local.get $size)) (then (local.set $size (i32.const 1048576))))
    (local.set $code (call $spark_set (i32.const 0x100) (i32.const 3)
      (i32.const 0x100000) (local.get $size) (i32.const 0)))
    (call $resp_set_status (i32.const 200))
    (call $hdr (i32.const 0x200) (i32.const 6) (local.get $code))
    (if (i64.eqz (call $spark_get (i32.const 0x100) (i32.const 3)))
      (then (call $resp_header_set (i32.const 0x210) (i32.const 7) (i32.const 0x220) (i32.const 4)))
      (else (call $resp_header_set (i32.const 0x210) (i32.const 7) (i32.const 0x228) (i32.const 3))))
    ''' + RESPOND + ''')
  (data (i32.const 0x100) "big")
  (data (i32.const 0x200) "x-code")
  (data (i32.const 0x210) "x-after")
  (data (i32.const 0x220) "miss")
  (data (i32.const 0x228) "hit")
''', memory=48))

# ---------------------------------------------------------------- incompatible modules
write("missing_alloc", module('''missing_alloc: exports memory and handle_request but no alloc.

Expected: Load refuses it (ErrIncompatible) with one line naming the missing
export "alloc".''',
 [], '''
  (func (export "handle_request") (result i64)
    ''' + RESPOND + ''')
''', memory=1, alloc=False))

write("wrong_signature", module('''wrong_signature: imports flaron/v1 spark_get as (i32) -> i64 instead of
(i32, i32) -> i64.

Expected: Load refuses it (ErrIncompatible) with one line naming
flaron/v1.spark_get and both signatures.''',
 [], '''
  (func (export "handle_request") (result i64)
    (drop (call $spark_get (i32.const 0)))
    ''' + RESPOND + ''')
''', memory=1, raw_imports='''  (import "flaron/v1" "spark_get" (func $spark_get (param i32) (result i64)))
'''))

write("unknown_import", module('''unknown_import: imports flaron/v1 spark_frobnicate, which does not exist.

Expected: Load refuses it (ErrIncompatible) with one line naming
flaron/v1.spark_frobnicate.''',
 [], '''
  (func (export "handle_request") (result i64)
    (drop (call $f (i32.const 0) (i32.const 0)))
    ''' + RESPOND + ''')
''', memory=1, raw_imports='''  (import "flaron/v1" "spark_frobnicate" (func $f (param i32 i32) (result i32)))
'''))

# ---------------------------------------------------------------- re-entrancy
write("alloc_reentrant", module('''alloc_reentrant: alloc calls back into the host (spark_set "r" = "x", TTL 0)
before answering from its arena, so a host function runs while another is
waiting for alloc.

handle_request calls req_url (the host calls alloc once) and spark_get("r"),
then answers 200 with x-reentrant-code (what the nested spark_set returned,
-1 if alloc never ran) and x-r ("hit" or "miss").
Expected: no deadlock, no crash. Either the host serves the nested call
(x-reentrant-code 0, x-r hit; the write counts against the invocation's
write limit like any other) or it refuses re-entry with abi_violation.''',
 ["req_url", "spark_set", "spark_get", "resp_set_status", "resp_header_set"], '''
  (global $code (mut i32) (i32.const -1))
  (global $bump (mut i32) (i32.const 0x10000))
  (func $alloc (export "alloc") (param $n i32) (result i32)
    (local $p i32)
    (global.set $code (call $spark_set (i32.const 0x100) (i32.const 1) (i32.const 0x108) (i32.const 1) (i32.const 0)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const 0))))
    (local.set $p (i32.and (i32.add (global.get $bump) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (local.get $n) (i32.sub (i32.const 0x50000) (local.get $p)))
      (then (return (i32.const 0))))
    (global.set $bump (i32.add (local.get $p) (local.get $n)))
    (local.get $p))
''' + DEC + '''
  (func (export "handle_request") (result i64)
    (global.set $bump (i32.const 0x10000))
    (global.set $code (i32.const -1))
    (drop (call $req_url))
    (call $resp_set_status (i32.const 200))
    (if (i32.lt_s (global.get $code) (i32.const 0))
      (then (call $resp_header_set (i32.const 0x200) (i32.const 16) (i32.const 0x220) (i32.const 2)))
      (else (call $hdr (i32.const 0x200) (i32.const 16) (global.get $code))))
    (if (i64.eqz (call $spark_get (i32.const 0x100) (i32.const 1)))
      (then (call $resp_header_set (i32.const 0x230) (i32.const 3) (i32.const 0x240) (i32.const 4)))
      (else (call $resp_header_set (i32.const 0x230) (i32.const 3) (i32.const 0x248) (i32.const 3))))
    ''' + RESPOND + ''')
  (data (i32.const 0x100) "r")
  (data (i32.const 0x108) "x")
  (data (i32.const 0x200) "x-reentrant-code")
  (data (i32.const 0x220) "-1")
  (data (i32.const 0x230) "x-r")
  (data (i32.const 0x240) "miss")
  (data (i32.const 0x248) "hit")
''', alloc=False))

write("alloc_loop", module('''alloc_loop: alloc never returns (loops forever), so the invocation hangs
inside a host call (req_url) waiting for guest memory.

Expected: timeout after Limits.InvocationTimeout, even though the runaway
code runs nested inside a host function; the instance is discarded.''',
 ["req_url", "resp_set_status"], '''
  (func (export "alloc") (param i32) (result i32)
    (loop $forever (br $forever))
    (unreachable))
  (func (export "handle_request") (result i64)
    (drop (call $req_url))
    (call $resp_set_status (i32.const 200))
    ''' + RESPOND + ''')
''', alloc=False))

write("log_flood", module('''log_flood: 100,000 log_info calls of a 1 KiB message in one invocation,
then answers 200.

Expected: 200, no error; the host writes at most its per-invocation line
cap (Config.LogLinesPerInvocation, default 16) and counts/drops the rest, so
a chatty guest cannot flood the log or the host's memory.''',
 ["log_info", "resp_set_status"], '''
  (func (export "handle_request") (result i64)
    (local $i i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (i32.const 100000)))
        (call $log_info (i32.const 0x1000) (i32.const 1024))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $resp_set_status (i32.const 200))
    ''' + RESPOND + ''')
  (data (i32.const 0x1000) "''' + ("log flood " * 103)[:1024] + '''")
'''))

# ---------------------------------------------------------------- issue 11: unstoppable and unbounded
LOCALS100 = "".join(f" (local $l{i} i64)" for i in range(100))
SET100 = "\n".join(f"    (local.set $l{i} (i64.mul (local.get $depth) (i64.const {i + 3})))" for i in range(100))
SUM100 = "(local.get $depth)"
for i in range(100):
    SUM100 = f"(i64.add {SUM100} (local.get $l{i}))"

write("deep_recursion_frames", module('''deep_recursion_frames: unbounded recursion through a function with 100 i64
locals, all live across its recursive call (frames of about 800 bytes in
wazero's compiler, 1,700 as the host estimates them).

Expected: trap "stack exhausted" at once in every timeout mode: the stack
guard weighs each frame by its locals, so big frames exhaust the budget
sooner instead of reaching wazero's 80 MiB ceiling.''',
 [], '''
  (func $down (param $depth i64) (result i64)''' + LOCALS100 + "\n" + SET100 + '''
    (drop (call $down (i64.add (local.get $depth) (i64.const 1))))
    ''' + SUM100 + ''')
  (func (export "handle_request") (result i64)
    (call $down (i64.const 0)))
''', memory=1))

write("indirect_recursion", module('''indirect_recursion: unbounded recursion through call_indirect (a function
table), which no static call graph shows.

Expected: trap "stack exhausted" at once in every timeout mode.''',
 [], '''
  (type $rec (func (param i64) (result i64)))
  (table 1 funcref)
  (elem (i32.const 0) $down)
  (func $down (param $depth i64) (result i64)
    (i64.add
      (call_indirect (type $rec) (i64.add (local.get $depth) (i64.const 1)) (i32.const 0))
      (local.get $depth)))
  (func (export "handle_request") (result i64)
    (call $down (i64.const 0)))
''', memory=1))

write("start_loop", module('''start_loop: the module's start function (its start section) loops forever.

wazero runs a start section inside Instantiate, where nothing can stop it:
validate, run and inspect used to spin at 100% CPU ignoring SIGINT.
Expected: Load fails with timeout (Func "start") after
Limits.InvocationTimeout in every timeout mode (in mode none the host stops
waiting and abandons the goroutine), and within a second of its context
being canceled.''',
 [], '''
  (func $start (loop $forever (br $forever)))
  (start $start)
  (func (export "handle_request") (result i64)
    ''' + RESPOND + ''')
''', memory=1))

write("initialize_loop", module('''initialize_loop: a reactor whose _initialize export loops forever.

Expected: as start_loop, with Func "_initialize" (inspect used to hang on
it: it loaded flares with no timeout at all).''',
 [], '''
  (func (export "_initialize") (loop $forever (br $forever)))
  (func (export "handle_request") (result i64)
    ''' + RESPOND + ''')
''', memory=1))

write("start_trap", module('''start_trap: the start function divides by zero.

Expected: Load fails with trap "integer divide by zero" (Func "start").''',
 [], '''
  (func $start (drop (i32.div_s (i32.const 1) (i32.const 0))))
  (start $start)
  (func (export "handle_request") (result i64)
    ''' + RESPOND + ''')
''', memory=1))

write("start_hostcall", module('''start_hostcall: the start function calls host functions before any request
exists: req_url, spark_get("k") and log_info, keeping what they return.
handle_request answers 200 with x-start-url and x-start-get: 1 if the call
returned something, 0 if not.

Expected: loads and answers 200, x-start-url 0, x-start-get 0: outside an
invocation the host functions see no request and no Spark binding, and
return "no result" (the start function used to run inside Instantiate,
before the host knew the instance's memory).''',
 ["req_url", "spark_get", "log_info", "resp_set_status", "resp_header_set"], DEC + '''
  (global $url (mut i32) (i32.const -1))
  (global $get (mut i32) (i32.const -1))
  (func $start
    (global.set $url (i64.ne (call $req_url) (i64.const 0)))
    (global.set $get (i64.ne (call $spark_get (i32.const 0x100) (i32.const 1)) (i64.const 0)))
    (call $log_info (i32.const 0x108) (i32.const 7)))
  (start $start)
  (func (export "handle_request") (result i64)
    (call $resp_set_status (i32.const 200))
    (call $hdr (i32.const 0x200) (i32.const 11) (global.get $url))
    (call $hdr (i32.const 0x210) (i32.const 11) (global.get $get))
    ''' + RESPOND + ''')
  (data (i32.const 0x100) "k")
  (data (i32.const 0x108) "started")
  (data (i32.const 0x200) "x-start-url")
  (data (i32.const 0x210) "x-start-get")
'''))

write("huge_table", module('''huge_table: declares a table of 100,000,000 elements (800 MB per instance
in wazero) in a module of a few hundred bytes.

Expected: Load refuses it (module_limit), naming the table and
ModuleLimits.MaxTableElements (65,536), before anything is allocated.''',
 [], '''
  (table 100000000 funcref)
  (func (export "handle_request") (result i64)
    ''' + RESPOND + ''')
''', memory=1))

write("table_grow", module('''table_grow: grows its table (1 element, no declared maximum) by N elements
with table.grow; N is the request body as a u32 LE, 100,000,000 when empty.
Answers 200 with x-refused (1 if table.grow answered -1) and x-size (the
table's size afterwards).

Expected: the host clamps the table's maximum to
ModuleLimits.MaxTableElements: growing by 100M is refused (x-refused 1,
x-size 1, nothing allocated); growing by 1000 succeeds (x-refused 0, x-size
1001).''',
 ["req_body", "resp_set_status", "resp_header_set"], DEC + BODYWORD + '''
  (table $t 1 funcref)
  (func (export "handle_request") (result i64)
    (local $n i32) (local $r i32)
    (global.set $bump (i32.const 0x10000))
    (local.set $n (call $body_word (i32.const 0)))
    (if (i32.eqz (local.get $n)) (then (local.set $n (i32.const 100000000))))
    (local.set $r (table.grow $t (ref.null func) (local.get $n)))
    (call $resp_set_status (i32.const 200))
    (call $hdr (i32.const 0x200) (i32.const 9) (i32.eq (local.get $r) (i32.const -1)))
    (call $hdr (i32.const 0x210) (i32.const 6) (table.size $t))
    ''' + RESPOND + ''')
  (data (i32.const 0x200) "x-refused")
  (data (i32.const 0x210) "x-size")
'''))

write("div_zero", module('''div_zero: handle_request divides by zero.

Expected: trap with Detail "integer divide by zero".''',
 [], '''
  (func (export "handle_request") (result i64)
    (drop (i32.div_u (i32.const 1) (i32.const 0)))
    ''' + RESPOND + ''')
''', memory=1))

write("rust_panic", module('''rust_panic: what a Rust flare's panic does (panic = "abort"): the panic
hook logs "panicked at src/lib.rs:3:5:\\nboom" with log_error, then the
guest executes unreachable.

Expected: trap with Detail `unreachable after log_error "panicked at
src/lib.rs:3:5: boom"`: the message the guest logged last names the
panic.''',
 ["log_error"], '''
  (func (export "handle_request") (result i64)
    (call $log_error (i32.const 0x100) (i32.const 32))
    (unreachable))
  (data (i32.const 0x100) "panicked at src/lib.rs:3:5:\\nboom")
''', memory=1))

def as_string(s):
    """AssemblyScript's string layout: u32 byte length at ptr-4, UTF-16LE."""
    b = len(s) * 2
    return "".join(f"\\{x:02x}" for x in b.to_bytes(4, "little")) + "".join(f"{c}\\00" for c in s)

write("as_throw", module('''as_throw: what an AssemblyScript `throw new Error("boom")` compiles to: a
call of env.abort(message, file, line, column) with AssemblyScript strings
(UTF-16LE, byte length in the u32 before the pointer).

Expected: trap with Detail `env.abort: "boom" at assembly/index.ts:7:5`.''',
 [], '''
  (func (export "handle_request") (result i64)
    (call $abort (i32.const 0x104) (i32.const 0x204) (i32.const 7) (i32.const 5))
    (unreachable))
  (data (i32.const 0x100) "''' + as_string("boom") + '''")
  (data (i32.const 0x200) "''' + as_string("assembly/index.ts") + '''")
''', memory=1, raw_imports='''  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
'''))

write("header_flood", module('''header_flood: sets 1,000,000 distinct response headers (x-hNNNNNNN: v),
then answers 200.

Expected: memory_limit "resp_header_set: response headers over 128 KiB"
after about 3,000 headers: the host caps an invocation's response headers
(host.MaxResponseHeaderBytes), so no guest can make it allocate without
bound within its timeout.''',
 ["resp_header_set", "resp_set_status"], DEC + '''
  (func (export "handle_request") (result i64)
    (local $i i32) (local $n i32)
    (i32.store8 (i32.const 0x100) (i32.const 120)) ;; 'x'
    (i32.store8 (i32.const 0x101) (i32.const 45))  ;; '-'
    (i32.store8 (i32.const 0x102) (i32.const 104)) ;; 'h'
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (i32.const 1000000)))
        (local.set $n (call $dec (local.get $i) (i32.const 0x103)))
        (call $resp_header_set (i32.const 0x100) (i32.add (local.get $n) (i32.const 3)) (i32.const 0x200) (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $resp_set_status (i32.const 200))
    ''' + RESPOND + ''')
  (data (i32.const 0x200) "v")
'''))

write("plasma_flood", module('''plasma_flood: plasma_set("pN", <64 KiB of zeros>) for N = 0, 1, ... until a
set does not answer 0; answers 200 with x-code (that answer) and x-count
(how many sets succeeded).

Expected: plasma's capacity (Config.PlasmaBytes, 64 MiB of keys and
values by default) stops it: x-code 2 (write limit), x-count 1023, so no
guest can make the host's plasma grow without bound. Run again on the same
host, the sets overwrite the same keys: the same answer.''',
 ["plasma_set", "resp_set_status", "resp_header_set"], DEC + '''
  (func (export "handle_request") (result i64)
    (local $i i32) (local $n i32) (local $code i32)
    (i32.store8 (i32.const 0x100) (i32.const 112)) ;; 'p'
    (block $done
      (loop $each
        (local.set $n (call $dec (local.get $i) (i32.const 0x101)))
        (local.set $code (call $plasma_set (i32.const 0x100) (i32.add (local.get $n) (i32.const 1))
          (i32.const 0x10000) (i32.const 65536)))
        (br_if $done (local.get $code))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (call $resp_set_status (i32.const 200))
    (call $hdr (i32.const 0x200) (i32.const 6) (local.get $code))
    (call $hdr (i32.const 0x210) (i32.const 7) (local.get $i))
    ''' + RESPOND + ''')
  (data (i32.const 0x200) "x-code")
  (data (i32.const 0x210) "x-count")
'''))
