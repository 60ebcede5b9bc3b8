// The flaron/v1 host functions these fixtures call, declared the way an
// AssemblyScript flare declares them: @external imports with i32 pointers
// and lengths, i64 results packing (ptr << 32) | len (0 = absent).

@external("flaron/v1", "req_header_get")
export declare function req_header_get(namePtr: i32, nameLen: i32): i64;

@external("flaron/v1", "resp_set_status")
export declare function resp_set_status(status: i32): void;

@external("flaron/v1", "resp_header_set")
export declare function resp_header_set(namePtr: i32, nameLen: i32, valuePtr: i32, valueLen: i32): void;

@external("flaron/v1", "resp_body_set")
export declare function resp_body_set(bodyPtr: i32, bodyLen: i32): void;

@external("flaron/v1", "spark_get")
export declare function spark_get(keyPtr: i32, keyLen: i32): i64;

@external("flaron/v1", "spark_set")
export declare function spark_set(keyPtr: i32, keyLen: i32, valuePtr: i32, valueLen: i32, ttlSecs: i32): i32;

@external("flaron/v1", "spark_list")
export declare function spark_list(): i64;
