package main

import (
	"strings"
	"testing"
)

// TestEveryCommandHasHelpAndUsageErrors: every command listed in the
// top-level help answers --help on stdout with exit 0, and an unknown flag
// with its usage on stderr and exit 2; the commands and subcommands that
// take arguments show an example in their --help.
func TestEveryCommandHasHelpAndUsageErrors(t *testing.T) {
	top := cli(t, "--help")
	top.wantCode(t, exitOK)
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			top.wantOut(t, "  "+c.name+" ")
			h := cli(t, c.name, "--help")
			h.wantCode(t, exitOK)
			h.wantOut(t, "Usage: fundledger "+c.name)
			if h.stderr != "" {
				t.Errorf("--help wrote to stderr: %q", h.stderr)
			}
			bad := cli(t, c.name, "--no-such-flag")
			bad.wantCode(t, exitUsage)
			bad.wantErr(t, "Usage: fundledger "+c.name)
			if bad.stdout != "" {
				t.Errorf("a usage error wrote to stdout: %q", bad.stdout)
			}
		})
	}
	for _, name := range []string{"serve", "replay", "tokens create", "tokens list", "tokens revoke", "import stabilization", "rebuild",
		"policy list", "policy show", "policy publish"} {
		h := cli(t, append(strings.Fields(name), "--help")...)
		h.wantCode(t, exitOK)
		h.wantOut(t, "Example")
	}
}
