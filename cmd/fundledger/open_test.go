package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStoreURLCheckedAlikeEverywhere: every command that opens a store
// runs --store through the same check (datadir.CheckStoreURL): a URL that
// is not KurrentDB's, and an esdb:// one with a misspelt setting, are usage
// errors on each of them, and nothing is created.
func TestStoreURLCheckedAlikeEverywhere(t *testing.T) {
	file, _ := stabilizationFile(t, false)
	missing := filepath.Join(t.TempDir(), "nope")
	commands := map[string][]string{
		"verify":  {"verify"},
		"replay":  {"replay", "--as-of", "2025-01-01"},
		"rebuild": {"rebuild", "--data", missing},
		"import":  importArgs(missing, file),
		"serve":   {"serve", "--data", missing},
		"demo":    {"demo", "--data", missing},
	}
	urls := map[string]string{
		"postgres://x":                     "esdb://host:2113",
		"esdb://localhost:2113?tsl=false":  `unknown setting "tsl"`,
		"esdb://localhost:2113?tls=maybe":  "tls",
		"esdb://ledger:s3cret@localhost:x": "port",
	}
	for name, args := range commands {
		for url, says := range urls {
			t.Run(name+" "+url, func(t *testing.T) {
				r := cli(t, append(append([]string(nil), args...), "--store", url)...)
				r.wantCode(t, exitUsage)
				r.wantErr(t, says)
				if strings.Contains(r.stderr, "s3cret") {
					t.Fatalf("the password was echoed: %s", r.stderr)
				}
			})
		}
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused --store left %s behind (stat: %v)", missing, err)
	}
}

// TestReadersReachKurrentDB: on verify and replay a well-formed esdb://
// URL passes the check and is opened as KurrentDB (here a closed port, so
// the open fails, as a failure, not a usage error), with the client's
// lines on the command's stderr, not printed by the client itself.
func TestReadersReachKurrentDB(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "esdb://" + lis.Addr().String() + "?tls=false&maxDiscoverAttempts=1&discoveryInterval=10&gossipTimeout=1"
	lis.Close()
	for _, args := range [][]string{{"verify", "--store", url}, {"replay", "--store", url, "--as-of", "2025-01-01"}} {
		t.Run(args[0], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			var out, errOut bytes.Buffer
			code := run(ctx, args, &out, &errOut)
			if code != exitFailure || !strings.Contains(errOut.String(), "KurrentDB") {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d naming KurrentDB", code, errOut.String(), exitFailure)
			}
			if !strings.Contains(errOut.String(), "source=esdb-client") {
				t.Fatalf("the KurrentDB client's lines are not on the command's stderr:\n%s", errOut.String())
			}
		})
	}
}
