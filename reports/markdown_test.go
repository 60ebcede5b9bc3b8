package reports

import (
	"bytes"
	"testing"
)

func TestWriteMarkdownGolden(t *testing.T) {
	for _, tc := range []struct {
		name     string
		backends []string
	}{
		{"markdown_one_backend.md", []string{"bbolt"}},
		{"markdown_two_backends.md", []string{"memory", "bbolt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteMarkdown(&buf, fixtureReport(tc.backends...)); err != nil {
				t.Fatal(err)
			}
			if buf.Len() > 65536 {
				t.Fatalf("%d bytes: too large for a PR comment", buf.Len())
			}
			golden(t, tc.name, buf.Bytes())
		})
	}
}
