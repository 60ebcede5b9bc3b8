package host

import (
	"context"
	"testing"
)

func TestCounterCounts(t *testing.T) {
	e := newEnv(t, defaultEnvOptions())
	f := e.flare("counter")
	for i := 1; i <= 3; i++ {
		resp, err := e.h.Invoke(context.Background(), f, &Request{Node: "edge-a", Site: "shop.example", Method: "GET", URL: "https://shop.example/"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(resp.Body), itoa(int64(i)); got != want || resp.Status != 200 || resp.Action != ActionRespond {
			t.Fatalf("invocation %d: status %d action %v body %q, want 200 respond %q", i, resp.Status, resp.Action, got, want)
		}
	}
}
