package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sparkbench/sparkbench/workloads"
)

// parseFlags parses flags that may come before, between or after the
// positional arguments ("run a.yaml --quiet b.yaml").
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// flagError reports a flag parsing error (help is not an error).
func flagError(stderr io.Writer, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage // flag has printed the error and the usage
}

// newFlagSet returns a flag set that prints usage (text, then flags) to stderr.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		printFlags(fs)
	}
	return fs
}

// printFlags lists fs's flags as the README writes them (--name, which the
// flag package accepts as well as -name), each with its value type,
// default and usage.
func printFlags(fs *flag.FlagSet) {
	w := fs.Output()
	fs.VisitAll(func(f *flag.Flag) {
		typ, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if typ != "" {
			line += " " + typ
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if d := f.DefValue; d != "" && d != "0" && d != "0s" && d != "false" && d != "[]" {
			if typ == "string" {
				d = strconv.Quote(d)
			}
			fmt.Fprintf(w, " (default %s)", d)
		}
		fmt.Fprintln(w)
	})
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// exitCodeFor maps an error to an exit code: configuration errors (a
// workload file, a flare, a flag value) are usage errors, others runtime.
func exitCodeFor(err error) int {
	var fe *workloads.FieldError
	if errors.As(err, &fe) || errors.Is(err, workloads.ErrInvalid) || errors.Is(err, workloads.ErrFlare) ||
		errors.Is(err, workloads.ErrOverride) || errors.Is(err, workloads.ErrCapability) {
		return exitUsage
	}
	return exitRuntime
}

// printError prints err on w: each error of a workload file on a line of
// its own (validate and run report every one), anything else on one line.
func printError(w io.Writer, err error) {
	var es workloads.Errors
	if errors.As(err, &es) {
		for _, e := range es {
			fmt.Fprintln(w, oneLine(e))
		}
		return
	}
	fmt.Fprintln(w, oneLine(err))
}

// oneLine keeps an error message on one line.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// writeTo creates path and writes it with fn; "-" is stdout.
func writeTo(path string, stdout io.Writer, fn func(io.Writer) error) error {
	if path == "-" {
		return fn(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// isTerminal reports whether w is a character device (a terminal) with a
// known width, where progress bars can be drawn.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && terminalColumns(f) > 0
}
