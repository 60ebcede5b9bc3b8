package reports

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// HgrmValueScale is the unit of .hgrm values: nanoseconds / 1000, that is
// microseconds (HdrHistogram's plotter takes the unit as a parameter).
const HgrmValueScale = 1000

// HgrmUnitLine is the first line of every .hgrm file: the unit of its
// Value column, in the "#[...]" form of the footer lines HdrHistogram's
// plotter already skips.
const HgrmUnitLine = "#[Value unit: microseconds (recorded in nanoseconds, value unit scaling ratio 1000)]\n"

// WriteHgrm writes h as an HdrHistogram percentile distribution (.hgrm,
// values in microseconds, 5 ticks per half distance), the text that
// HdrHistogram's plotter reads, after a line that states the unit.
func WriteHgrm(w io.Writer, h *Hist) error {
	if _, err := io.WriteString(w, HgrmUnitLine); err != nil {
		return err
	}
	_, err := h.dense().PercentilesPrint(w, 5, HgrmValueScale)
	return err
}

// WriteHgrmDir writes one .hgrm file per run, group and operation into dir
// (created if needed) and returns the file names.
func WriteHgrmDir(dir string, rep *Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("reports: hgrm: %w", err)
	}
	var names []string
	for _, run := range rep.Runs {
		for _, g := range run.Groups {
			for _, o := range g.Ops {
				name := fileSafe(strings.Join([]string{run.Name(), g.Labels.Scenario, g.Labels.Node, o.Op.String()}, "_")) + ".hgrm"
				f, err := os.Create(filepath.Join(dir, name))
				if err != nil {
					return names, fmt.Errorf("reports: hgrm: %w", err)
				}
				err = WriteHgrm(f, o.All())
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return names, fmt.Errorf("reports: hgrm %s: %w", name, err)
				}
				names = append(names, name)
			}
		}
	}
	return names, nil
}

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, s)
}
