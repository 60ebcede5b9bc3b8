package reports

import (
	"bytes"
	"testing"
)

func TestWriteTextGolden(t *testing.T) {
	for _, tc := range []struct {
		name     string
		backends []string
	}{
		{"text_one_backend.txt", []string{"memory"}},
		{"text_three_backends.txt", []string{"memory", "bbolt", "pebble"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteText(&buf, fixtureReport(tc.backends...)); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, buf.Bytes())
		})
	}
}
