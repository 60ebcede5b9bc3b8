package reports

import (
	"errors"
	"io"
)

// WriteHTML writes one self-contained HTML file with inline SVG charts.
func WriteHTML(w io.Writer, rep *Report) error {
	return errors.New("reports: html not implemented yet")
}
