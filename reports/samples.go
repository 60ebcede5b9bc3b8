package reports

import (
	"fmt"
	"strconv"
	"strings"
)

// SampleBodyLimit is how much of a request or response body a Sample
// keeps; BodyBytes says how long the body was.
const SampleBodyLimit = 2048

// Sample is one response kept for the report (run --show-responses N):
// one of a scenario's first N responses (Failure empty), or one of the
// first N of a distinct failure, with the request that caused it.
type Sample struct {
	// Failure says what failed: "status 503 (unexpected)", "error
	// timeout: ...", "check NAME: why", "verify NAME: why"; "" for one
	// of the scenario's first responses.
	Failure string        `json:",omitempty"`
	Request SampleRequest `json:",omitempty"`
	// Stored is the key a verify item read, instead of a request; Body is
	// then the stored value.
	Stored    *StoredKey  `json:",omitempty"`
	Error     string      `json:",omitempty"` // the invocation's error, when it failed
	Status    int         `json:",omitempty"`
	Headers   [][2]string `json:",omitempty"`
	Body      string      // cut at SampleBodyLimit
	BodyBytes int         // the whole body's length
}

// SampleRequest is the request of a Sample.
type SampleRequest struct {
	Method, URL string
	Headers     [][2]string `json:",omitempty"`
	Body        string      `json:",omitempty"` // cut at SampleBodyLimit
	BodyBytes   int         `json:",omitempty"`
}

// StoredKey is the key a verify item read from the final store.
type StoredKey struct {
	Node, Site, Key string
	Found           bool
	TTLSecs         uint32 `json:",omitempty"` // remaining; 0 = no expiry
}

// CutBody returns at most SampleBodyLimit bytes of b as a string, and
// len(b).
func CutBody(b []byte) (string, int) {
	if len(b) > SampleBodyLimit {
		return string(b[:SampleBodyLimit]), len(b)
	}
	return string(b), len(b)
}

// AddSamples adds samples to the run's group with labels l (creating it).
func (run *Run) AddSamples(l Labels, samples []Sample) {
	if len(samples) == 0 {
		return
	}
	for _, g := range run.Groups {
		if g.Labels == l {
			g.Samples = append(g.Samples, samples...)
			return
		}
	}
	g := newGroup(l)
	g.Samples = samples
	run.Groups = append(run.Groups, g)
	sortGroups(run.Groups)
}

// writeSamplesText writes the kept samples of every run, grouped by
// scenario: the first responses, then each distinct failure.
func writeSamplesText(b *strings.Builder, rep *Report) {
	for _, run := range rep.Runs {
		for _, g := range run.Groups {
			if len(g.Samples) == 0 {
				continue
			}
			last := "\x00"
			for _, s := range g.Samples {
				if s.Failure != last {
					last = s.Failure
					what := "first responses"
					if s.Failure != "" {
						what = "failed: " + s.Failure
					}
					fmt.Fprintf(b, "\n%s %s (%s): %s\n", g.Labels.Scenario, g.Labels.Node, run.Name(), what)
				}
				writeSampleText(b, s)
			}
		}
	}
}

func writeSampleText(b *strings.Builder, s Sample) {
	if k := s.Stored; k != nil {
		fmt.Fprintf(b, "  key %q of site %s on %s: ", k.Key, k.Site, k.Node)
		if !k.Found {
			b.WriteString("missing\n")
			return
		}
		ttl := "no expiry"
		if k.TTLSecs > 0 {
			ttl = fmt.Sprintf("ttl %ds", k.TTLSecs)
		}
		fmt.Fprintf(b, "%s, %s\n", ttl, bodyText(s.Body, s.BodyBytes))
		return
	}
	r := s.Request
	fmt.Fprintf(b, "  > %s %s%s", r.Method, r.URL, headersText(r.Headers))
	if r.BodyBytes > 0 {
		fmt.Fprintf(b, " %s", bodyText(r.Body, r.BodyBytes))
	}
	b.WriteString("\n")
	if s.Error != "" {
		fmt.Fprintf(b, "  < error: %s\n", s.Error)
		return
	}
	fmt.Fprintf(b, "  < %d%s %s\n", s.Status, headersText(s.Headers), bodyText(s.Body, s.BodyBytes))
}

func headersText(hs [][2]string) string {
	if len(hs) == 0 {
		return ""
	}
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = h[0] + ": " + h[1]
	}
	return " [" + strings.Join(parts, "; ") + "]"
}

// bodyText quotes a (possibly cut) body and says its size when cut.
func bodyText(body string, n int) string {
	q := strconv.Quote(body)
	if n > len(body) {
		return fmt.Sprintf("%s... (%d bytes, first %d shown)", q, n, len(body))
	}
	return q
}
