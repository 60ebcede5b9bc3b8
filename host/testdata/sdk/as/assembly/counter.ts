// counter: every request adds one to the Spark key "count" (no TTL) and
// answers the new value in x-count and the body; x-set-code is spark_set's
// code. A spark_set refusal answers 500. x-instance-calls counts the calls
// this instance has served: the stub runtime never frees, so the heap only
// grows, and the host recycling the instance shows as this count restarting.

import { alloc, rewind } from "./arena";
import { RESPOND, setBody, setHeader, sparkGet, sparkSet, utf8 } from "./http";
import * as abi from "./abi";

export { alloc };

// Encoded by the start function at instantiation: a host that skipped the
// module's start section would hand handle_request a null buffer.
const COUNT_KEY: ArrayBuffer = utf8("count");
let calls: i32 = 0;

export function handle_request(): i64 {
  rewind();
  let n: i64 = 0;
  const got = sparkGet(COUNT_KEY);
  if (got !== null) n = I64.parseInt(got.value, 10);
  n++;
  const text = n.toString();
  const code = sparkSet(COUNT_KEY, text, 0);
  if (code != 0) abi.resp_set_status(500);
  setHeader("x-set-code", code.toString());
  setHeader("x-count", text);
  calls++;
  setHeader("x-instance-calls", calls.toString());
  setBody(text);
  return RESPOND;
}
