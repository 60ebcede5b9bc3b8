package edgeops_test

import (
	"fmt"

	"github.com/sparkbench/sparkbench/host/internal/edgeops"
)

func ExampleCryptoHash() {
	out, ok := edgeops.CryptoHash([]byte(`{"algorithm":"sha256","input":"abc"}`))
	fmt.Println(string(out), ok)
	// Output: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad true
}

func ExampleOp_Secret() {
	secrets := map[string][]byte{"signing-key": []byte("Jefe")}
	lookup := func(name string) ([]byte, bool) { v, ok := secrets[name]; return v, ok }
	op, _ := edgeops.Find("crypto_hmac")
	out, ok := op.Secret([]byte(`{"secret_key":"signing-key","input":"what do ya want for nothing?"}`), lookup)
	fmt.Println(string(out), ok)
	// Output: 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843 true
}
