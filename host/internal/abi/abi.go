package abi

import "github.com/tetratelabs/wazero/api"

// ModuleFlaronV1 is the import module name of the platform ABI.
const ModuleFlaronV1 = "flaron/v1"

// Func describes one importable host function.
type Func struct {
	Module  string // "flaron/v1", or a language runtime's module (e.g. "env")
	Name    string
	Params  []api.ValueType // wazero api value types
	Results []api.ValueType
	Group   string // "request", "response", "spark", "plasma", "beam", "log", "edgeops", "secrets", "ws", "runtime"
}

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

func v(t ...api.ValueType) []api.ValueType { return t }

// FlaronV1 lists every flaron/v1 import, signatures as the public SDKs declare them.
var FlaronV1 = []Func{
	{ModuleFlaronV1, "req_method", nil, v(i64), "request"},
	{ModuleFlaronV1, "req_url", nil, v(i64), "request"},
	{ModuleFlaronV1, "req_header_get", v(i32, i32), v(i64), "request"},
	{ModuleFlaronV1, "req_body", nil, v(i64), "request"},

	{ModuleFlaronV1, "resp_set_status", v(i32), nil, "response"},
	{ModuleFlaronV1, "resp_header_set", v(i32, i32, i32, i32), nil, "response"},
	{ModuleFlaronV1, "resp_body_set", v(i32, i32), nil, "response"},

	{ModuleFlaronV1, "spark_get", v(i32, i32), v(i64), "spark"},
	{ModuleFlaronV1, "spark_set", v(i32, i32, i32, i32, i32), v(i32), "spark"},
	{ModuleFlaronV1, "spark_delete", v(i32, i32), nil, "spark"},
	{ModuleFlaronV1, "spark_list", nil, v(i64), "spark"},
	{ModuleFlaronV1, "spark_pull", v(i32, i32, i32, i32), v(i32), "spark"},

	{ModuleFlaronV1, "plasma_get", v(i32, i32), v(i64), "plasma"},
	{ModuleFlaronV1, "plasma_set", v(i32, i32, i32, i32), v(i32), "plasma"},
	{ModuleFlaronV1, "plasma_delete", v(i32, i32), v(i32), "plasma"},
	{ModuleFlaronV1, "plasma_increment", v(i32, i32, i64), v(i64), "plasma"},
	{ModuleFlaronV1, "plasma_decrement", v(i32, i32, i64), v(i64), "plasma"},
	{ModuleFlaronV1, "plasma_list", nil, v(i64), "plasma"},

	{ModuleFlaronV1, "beam_fetch", v(i32, i32, i32, i32), v(i64), "beam"},

	{ModuleFlaronV1, "log_info", v(i32, i32), nil, "log"},
	{ModuleFlaronV1, "log_warn", v(i32, i32), nil, "log"},
	{ModuleFlaronV1, "log_error", v(i32, i32), nil, "log"},

	{ModuleFlaronV1, "crypto_hash", v(i32, i32), v(i64), "edgeops"},
	{ModuleFlaronV1, "crypto_hmac", v(i32, i32), v(i64), "edgeops"},
	{ModuleFlaronV1, "crypto_sign_jwt", v(i32, i32), v(i64), "edgeops"},
	{ModuleFlaronV1, "crypto_encrypt_aes", v(i32, i32), v(i64), "edgeops"},
	{ModuleFlaronV1, "crypto_decrypt_aes", v(i32, i32), v(i64), "edgeops"},
	{ModuleFlaronV1, "crypto_random_bytes", v(i32), v(i64), "edgeops"},
	{ModuleFlaronV1, "encoding_base64_encode", v(i32, i32), v(i64), "edgeops"},
	{ModuleFlaronV1, "encoding_base64_decode", v(i32, i32), v(i64), "edgeops"},
	{ModuleFlaronV1, "encoding_hex_encode", v(i32, i32), v(i64), "edgeops"},
	{ModuleFlaronV1, "encoding_hex_decode", v(i32, i32), v(i64), "edgeops"},
	{ModuleFlaronV1, "encoding_url_encode", v(i32, i32), v(i64), "edgeops"},
	{ModuleFlaronV1, "encoding_url_decode", v(i32, i32), v(i64), "edgeops"},
	{ModuleFlaronV1, "id_uuid", v(i32, i32), v(i64), "edgeops"},
	{ModuleFlaronV1, "id_ulid", nil, v(i64), "edgeops"},
	{ModuleFlaronV1, "id_nanoid", v(i32), v(i64), "edgeops"},
	{ModuleFlaronV1, "id_ksuid", nil, v(i64), "edgeops"},
	{ModuleFlaronV1, "id_snowflake", nil, v(i64), "edgeops"},
	{ModuleFlaronV1, "snowflake_id", nil, v(i64), "edgeops"},
	{ModuleFlaronV1, "timestamp", v(i32, i32), v(i64), "edgeops"},

	{ModuleFlaronV1, "secret_get", v(i32, i32), v(i64), "secrets"},

	{ModuleFlaronV1, "ws_send", v(i32, i32), v(i32), "ws"},
	{ModuleFlaronV1, "ws_close_conn", v(i32), nil, "ws"},
	{ModuleFlaronV1, "ws_conn_id", nil, v(i64), "ws"},
	{ModuleFlaronV1, "ws_event_type", nil, v(i64), "ws"},
	{ModuleFlaronV1, "ws_event_data", nil, v(i64), "ws"},
	{ModuleFlaronV1, "ws_close_code", nil, v(i32), "ws"},
}

// Runtime lists imports that SDK language runtimes add beside flaron/v1.
var Runtime = []Func{
	{"env", "abort", v(i32, i32, i32, i32), nil, "runtime"},
}

// Lookup finds the function imported as module.name in FlaronV1 or Runtime.
func Lookup(module, name string) (Func, bool) {
	for _, t := range [][]Func{FlaronV1, Runtime} {
		for _, f := range t {
			if f.Module == module && f.Name == name {
				return f, true
			}
		}
	}
	return Func{}, false
}
