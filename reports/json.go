package reports

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes rep in the versioned schema. Histograms are written in
// HdrHistogram's V2 compressed encoding (base64): reading the result back
// gives the same bucket counts, and writing it again gives the same bytes.
func WriteJSON(w io.Writer, rep *Report) error {
	if rep.Schema == "" {
		rep.Schema = SchemaVersion
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("reports: write json: %w", err)
	}
	return nil
}

// ReadJSON reads a report written by WriteJSON.
func ReadJSON(r io.Reader) (*Report, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var rep Report
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("reports: read json: %w", err)
	}
	if rep.Schema != SchemaVersion {
		return nil, fmt.Errorf("%w: %q (this sparkbench reads %q)", ErrSchema, rep.Schema, SchemaVersion)
	}
	if err := rep.validate(); err != nil {
		return nil, err
	}
	return &rep, nil
}

// validate checks what the JSON decoder cannot: no missing histograms.
func (rep *Report) validate() error {
	for i, run := range rep.Runs {
		if run == nil {
			return fmt.Errorf("%w: run %d is null", ErrSchema, i)
		}
		for _, g := range run.Groups {
			if g == nil {
				return fmt.Errorf("%w: run %d has a null group", ErrSchema, i)
			}
			for _, o := range g.Ops {
				if o == nil {
					return fmt.Errorf("%w: run %d group %v: null op", ErrSchema, i, g.Labels)
				}
				for _, c := range o.Codes {
					if c.Hist == nil {
						return fmt.Errorf("%w: run %d group %v op %v code %d: no histogram", ErrSchema, i, g.Labels, o.Op, c.Code)
					}
				}
			}
			for _, s := range g.Series {
				for _, so := range s.Ops {
					if so.Hist == nil {
						return fmt.Errorf("%w: run %d group %v second %d: no histogram", ErrSchema, i, g.Labels, s.T)
					}
				}
			}
			if len(g.Pressure) != numBands {
				return fmt.Errorf("%w: run %d group %v: %d pressure bands, want %d", ErrSchema, i, g.Labels, len(g.Pressure), numBands)
			}
			for _, b := range g.Pressure {
				if b.Hist == nil {
					return fmt.Errorf("%w: run %d group %v: pressure band without histogram", ErrSchema, i, g.Labels)
				}
			}
			if g.Starts.Lateness == nil {
				return fmt.Errorf("%w: run %d group %v: no lateness histogram", ErrSchema, i, g.Labels)
			}
			if err := g.checkAccounting(); err != nil {
				return fmt.Errorf("%w: run %d group %v: %v", ErrSchema, i, g.Labels, err)
			}
		}
	}
	return nil
}
