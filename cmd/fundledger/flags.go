package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlagSet returns a flag set whose usage text is the command line, a
// description and the flags.
func newFlagSet(name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: fundledger %s\n\n%s\n", synopsis, strings.TrimSpace(description))
		if hasFlags(fs) {
			fmt.Fprint(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseFlags parses args into fs. It returns done = true with the exit
// code when the command must stop: --help (usage on stdout, exit 0) or a
// usage error (message and usage on stderr, exit 2). Commands take no
// positional arguments.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case err == nil:
		return exitOK, false
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK, true
	default:
		return usageError(fs, stderr, err.Error()), true
	}
}

// usageError prints msg and fs's usage to stderr and returns exitUsage.
func usageError(fs *flag.FlagSet, stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "fundledger %s: %s\n\n", fs.Name(), msg)
	fs.SetOutput(stderr)
	fs.Usage()
	return exitUsage
}
