package edgeops

// Kind says which argument shape an op takes from the guest.
type Kind uint8

const (
	KindBytes Kind = iota // (ptr, len) in
	KindInt               // (i32) in
	KindNone              // no arguments
)

// Op is one edge op, named as the flaron/v1 import it implements.
type Op struct {
	Name  string
	Kind  Kind
	Bytes func(in []byte) ([]byte, bool)
	Int   func(n int32) ([]byte, bool)
	None  func() ([]byte, bool)
}

// Ops returns every edge op: crypto_*, encoding_*, id_*, snowflake_id, timestamp.
func Ops() []Op {
	return nil
}
