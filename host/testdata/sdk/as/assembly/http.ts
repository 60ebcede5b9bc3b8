// Thin helpers over the flaron/v1 imports working on AssemblyScript strings
// (UTF-16 inside the guest, UTF-8 on the wire).

import * as abi from "./abi";
import { packedLen, packedPtr } from "./arena";

export const RESPOND: i64 = 1 << 32;

export function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s, false);
}

export function fromWire(ptr: usize, len: i32): string {
  if (len <= 0) return "";
  return String.UTF8.decodeUnsafe(ptr, <usize>len, false);
}

// requestHeader returns the header's value, or null when the request has none.
export function requestHeader(name: string): string | null {
  const n = utf8(name);
  const packed = abi.req_header_get(<i32>changetype<usize>(n), n.byteLength);
  if (packed == 0) return null;
  return fromWire(packedPtr(packed), packedLen(packed));
}

export function setHeader(name: string, value: string): void {
  const n = utf8(name);
  const v = utf8(value);
  abi.resp_header_set(<i32>changetype<usize>(n), n.byteLength, <i32>changetype<usize>(v), v.byteLength);
}

export function setBody(body: string): void {
  const b = utf8(body);
  abi.resp_body_set(<i32>changetype<usize>(b), b.byteLength);
}

// SparkValue is a spark_get hit: the u32 LE TTL prefix split off the value.
export class SparkValue {
  constructor(public ttl: u32, public value: string) {}
}

export function sparkGet(key: ArrayBuffer): SparkValue | null {
  const packed = abi.spark_get(<i32>changetype<usize>(key), key.byteLength);
  if (packed == 0) return null;
  const ptr = packedPtr(packed);
  const len = packedLen(packed);
  if (len < 4) return null; // the TTL prefix is mandatory
  return new SparkValue(load<u32>(ptr), fromWire(ptr + 4, len - 4));
}

export function sparkSet(key: ArrayBuffer, value: string, ttl: i32): i32 {
  const v = utf8(value);
  return abi.spark_set(<i32>changetype<usize>(key), key.byteLength, <i32>changetype<usize>(v), v.byteLength, ttl);
}
