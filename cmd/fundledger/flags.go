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
	_, code, done = parseFlagsArgs(fs, args, 0, stdout, stderr)
	return code, done
}

// parseFlagsArgs is parseFlags for a command that takes exactly n
// positional arguments, before, between or after its flags; it returns
// them.
func parseFlagsArgs(fs *flag.FlagSet, args []string, n int, stdout, stderr io.Writer) (pos []string, code int, done bool) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	// flag stops at the first positional argument: take it and parse on.
	for err == nil && fs.NArg() > 0 && len(pos) < n {
		pos = append(pos, fs.Arg(0))
		err = fs.Parse(fs.Args()[1:])
	}
	switch {
	case err == nil && fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case err == nil && len(pos) < n:
		err = fmt.Errorf("%d argument(s) required, %d given", n, len(pos))
	}
	switch {
	case err == nil:
		return pos, exitOK, false
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return nil, exitOK, true
	default:
		return nil, usageError(fs, stderr, err.Error()), true
	}
}

// usageError prints msg and fs's usage to stderr and returns exitUsage.
func usageError(fs *flag.FlagSet, stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "fundledger %s: %s\n\n", fs.Name(), msg)
	fs.SetOutput(stderr)
	fs.Usage()
	return exitUsage
}
