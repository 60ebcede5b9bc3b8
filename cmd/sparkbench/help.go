package main

import (
	"fmt"
	"io"
)

func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stdout)
		return exitOK
	}
	if len(args) > 1 {
		fmt.Fprintln(stderr, "sparkbench help: want at most one command name")
		return exitUsage
	}
	for _, c := range commands() {
		if c.name == args[0] {
			if c.name == "help" {
				printUsage(stdout)
				return exitOK
			}
			// Every command prints its usage on -h, to stderr (flag's
			// convention); help shows it on stdout.
			return c.fn([]string{"-h"}, stdout, stdout)
		}
	}
	fmt.Fprintf(stderr, "sparkbench help: unknown command %q\n", args[0])
	return exitUsage
}
