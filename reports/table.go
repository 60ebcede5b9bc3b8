package reports

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// textTable collects tab-separated lines and renders them as a table with
// the first column (names) left-aligned and the others (numbers)
// right-aligned, two spaces apart. text/tabwriter aligns all columns alike.
type textTable struct {
	out  *strings.Builder
	buf  bytes.Buffer
	left int // leading columns aligned left
	// lastLeft aligns the last column left too (a text column after the
	// numbers).
	lastLeft bool
}

func newTable(out *strings.Builder) *textTable { return &textTable{out: out, left: 1} }

func (t *textTable) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush renders the collected lines.
func (t *textTable) Flush() {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(t.buf.String(), "\n"), "\n") {
		cells := strings.Split(line, "\t")
		if n := len(cells); n > 1 && cells[n-1] == "" {
			cells = cells[:n-1]
		}
		rows = append(rows, cells)
	}
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			sep := "  "
			if i == 0 {
				sep = ""
			}
			if i < t.left || t.lastLeft && i == len(r)-1 {
				line.WriteString(sep + c + pad)
			} else {
				line.WriteString(sep + pad + c)
			}
		}
		t.out.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	t.buf.Reset()
}
