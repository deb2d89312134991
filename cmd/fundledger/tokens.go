package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/haixi-hrss/fundledger/api/auth"
)

const tokensHelp = `
Manages the API's bearer tokens. Each token maps to one principal and one
role (clerk, approver, treasurer, auditor, evaluator, administrator). The
tokens file (default DIR/tokens.json) holds only the tokens' SHA-256
hashes: a token is printed once, when it is created, and cannot be shown
again. Subcommands:

  create   create a token and print it
  list     list the tokens (never the tokens themselves)
  revoke   revoke a token by its ID; a running server stops accepting it

Run 'fundledger tokens <subcommand> --help' for its flags.`

func runTokens(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tokens", "tokens <subcommand> [flags]", tokensHelp)
	if len(args) == 0 {
		return usageError(fs, stderr, "a subcommand is required")
	}
	switch args[0] {
	case "create":
		return runTokensCreate(args[1:], stdout, stderr)
	case "list":
		return runTokensList(args[1:], stdout, stderr)
	case "revoke":
		return runTokensRevoke(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	}
	return usageError(fs, stderr, fmt.Sprintf("unknown subcommand %q", args[0]))
}

// tokensFileFlags registers --data and --file and returns a function giving
// the tokens file they name, or a usage message.
func tokensFileFlags(fs *flag.FlagSet) func() (string, string) {
	dir := fs.String("data", "", "the data `directory` whose tokens.json to use")
	file := fs.String("file", "", "the tokens `file` (instead of --data)")
	return func() (string, string) {
		switch {
		case (*dir == "") == (*file == ""):
			return "", "give exactly one of --data and --file"
		case *file != "":
			return *file, ""
		}
		return tokensPath(*dir), ""
	}
}

const tokensCreateHelp = `
Creates a token for a principal in one role, adds its hash to the tokens
file (created with mode 0600 if missing) and prints the token on stdout,
once: it is stored nowhere, so hand it over now. The entry's ID (for list
and revoke) goes to stderr.

Examples:
  fundledger tokens create --data /var/lib/fundledger --principal clerk-golmud-1 --role clerk
  fundledger tokens create --file ./tokens.json --principal auditor-1 --role auditor > auditor.token`

func runTokensCreate(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tokens create", "tokens create (--data DIR | --file PATH) --principal NAME --role ROLE", tokensCreateHelp)
	path := tokensFileFlags(fs)
	principal := fs.String("principal", "", "who the token is for (required)")
	role := fs.String("role", "", "the `role` it grants: clerk, approver, treasurer, auditor, evaluator or administrator (required)")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	file, msg := path()
	switch {
	case msg != "":
		return usageError(fs, stderr, msg)
	case *principal == "":
		return usageError(fs, stderr, "--principal is required")
	case *role == "":
		return usageError(fs, stderr, "--role is required")
	}
	token, e, err := auth.Create(file, *principal, *role, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "fundledger tokens create: %v\n", err)
		return exitFailure
	}
	fmt.Fprintln(stdout, token)
	fmt.Fprintf(stderr, "created token %s for %s (%s) in %s; it is shown only this once\n", e.ID, e.Principal, e.Role, file)
	return exitOK
}

const tokensListHelp = `
Lists the tokens in the tokens file: ID, principal, role, when it was
created and, if so, revoked. The tokens themselves are not stored and
cannot be listed.

Example:
  fundledger tokens list --data /var/lib/fundledger`

func runTokensList(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tokens list", "tokens list (--data DIR | --file PATH)", tokensListHelp)
	path := tokensFileFlags(fs)
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	file, msg := path()
	if msg != "" {
		return usageError(fs, stderr, msg)
	}
	entries, err := auth.List(file)
	if err != nil {
		fmt.Fprintf(stderr, "fundledger tokens list: %v\n", err)
		return exitFailure
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPRINCIPAL\tROLE\tCREATED\tREVOKED")
	for _, e := range entries {
		revoked := "-"
		if e.Revoked != nil {
			revoked = e.Revoked.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.ID, e.Principal, e.Role, e.Created.Format(time.RFC3339), revoked)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "fundledger tokens list: %v\n", err)
		return exitFailure
	}
	return exitOK
}

const tokensRevokeHelp = `
Revokes the token with the given ID (see 'tokens list'). A running server
re-reads the tokens file when it changes and refuses the token from then
on. Revoking a token twice keeps the first revocation time.

Example:
  fundledger tokens revoke --data /var/lib/fundledger 3f9a0c1d2e4b5a69`

func runTokensRevoke(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tokens revoke", "tokens revoke (--data DIR | --file PATH) ID", tokensRevokeHelp)
	path := tokensFileFlags(fs)
	pos, code, done := parseFlagsArgs(fs, args, 1, stdout, stderr)
	if done {
		return code
	}
	id := pos[0]
	file, msg := path()
	switch {
	case msg != "":
		return usageError(fs, stderr, msg)
	case id == "":
		return usageError(fs, stderr, "the token ID must not be empty")
	}
	err := auth.Revoke(file, id, time.Now())
	if errors.Is(err, auth.ErrNotFound) {
		fmt.Fprintf(stderr, "fundledger tokens revoke: no token with ID %s in %s\n", id, file)
		return exitFailure
	}
	if err != nil {
		fmt.Fprintf(stderr, "fundledger tokens revoke: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "revoked token %s\n", id)
	return exitOK
}
