// sparkscan: x-set-key/x-set-ttl store "v:<key>" under x-set-key with that
// TTL (x-set-code answers spark_set's code); x-get-key reads a key back and
// answers x-hit, x-ttl (the u32 prefix spark_get sent) and x-value; then
// spark_list is parsed and answered as x-keys (count) and the sorted keys,
// one per line, in the body.
//
// Two headers reach the AssemblyScript runtime imports: x-trace: N calls
// trace() N times (env.trace), x-abort: M throws an Error with M, which
// the stub runtime turns into env.abort(message, file, line, column).

import { alloc, packedLen, packedPtr, rewind } from "./arena";
import { fromWire, requestHeader, RESPOND, setBody, setHeader, sparkGet, sparkSet, utf8 } from "./http";
import * as abi from "./abi";

export { alloc };

export function handle_request(): i64 {
  rewind();
  const abortWith = requestHeader("x-abort");
  if (abortWith !== null) throw new Error("abort requested: " + abortWith);
  const traces = requestHeader("x-trace");
  if (traces !== null) {
    const n = I32.parseInt(traces, 10);
    for (let i = 0; i < n; i++) trace("sparkscan trace", 1, <f64>i);
  }
  const setKey = requestHeader("x-set-key");
  if (setKey !== null) {
    let ttl: i32 = 0;
    const ttlText = requestHeader("x-set-ttl");
    if (ttlText !== null) ttl = I32.parseInt(ttlText, 10);
    const code = sparkSet(utf8(setKey), "v:" + setKey, ttl);
    setHeader("x-set-code", code.toString());
  }
  const getKey = requestHeader("x-get-key");
  if (getKey !== null) {
    const got = sparkGet(utf8(getKey));
    if (got === null) {
      setHeader("x-hit", "0");
    } else {
      setHeader("x-hit", "1");
      setHeader("x-ttl", got.ttl.toString());
      setHeader("x-value", got.value);
    }
  }
  const packed = abi.spark_list();
  if (packed == 0) {
    abi.resp_set_status(503);
    return RESPOND;
  }
  const keys = parseStrings(fromWire(packedPtr(packed), packedLen(packed)));
  keys.sort();
  setHeader("x-keys", keys.length.toString());
  setBody(keys.join("\n"));
  return RESPOND;
}

// parseStrings reads a JSON array of strings. Spark keys need no escapes,
// but \" and \\ are honoured; anything malformed aborts (env.abort).
function parseStrings(json: string): string[] {
  const out = new Array<string>();
  let i = 0;
  const n = json.length;
  assert(n >= 2 && json.charCodeAt(0) == 0x5b && json.charCodeAt(n - 1) == 0x5d, "spark_list: not a JSON array");
  i = 1;
  while (i < n - 1) {
    const c = json.charCodeAt(i);
    if (c == 0x2c || c == 0x20) {
      i++;
      continue;
    }
    assert(c == 0x22, "spark_list: expected a string");
    i++;
    let s = "";
    while (i < n - 1 && json.charCodeAt(i) != 0x22) {
      if (json.charCodeAt(i) == 0x5c) i++;
      s += json.charAt(i);
      i++;
    }
    assert(i < n - 1, "spark_list: unterminated string");
    i++;
    out.push(s);
  }
  return out;
}
