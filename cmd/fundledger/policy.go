package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

const policyHelp = `
Lists, shows and publishes the policy versions the ledger assesses claims
under (one stream per programme, policy-<programme>). A published version
never changes: a changed figure is a new version that supersedes it (see
docs/policy.md and domain/policy/seed/README.md). Subcommands:

  list      the published versions per programme, with their effective
            ranges and what they supersede, or those in force on a date
  show      one version, as JSON, with who published it and when
  publish   publish a seed file or one version as the administrator: new
            versions are published, identical ones skipped, changed ones
            published as amendments

Run 'fundledger policy <subcommand> --help' for its flags.`

func runPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("policy", "policy <subcommand> [flags]", policyHelp)
	if len(args) == 0 {
		return usageError(fs, stderr, "a subcommand is required")
	}
	switch args[0] {
	case "list":
		return runPolicyList(ctx, args[1:], stdout, stderr)
	case "show":
		return runPolicyShow(ctx, args[1:], stdout, stderr)
	case "publish":
		return runPolicyPublish(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	}
	return usageError(fs, stderr, fmt.Sprintf("unknown subcommand %q", args[0]))
}

// published is one published version with the record of its publication.
type published struct {
	Version policy.Version `json:"version"`
	// SupersededBy is the amendment that supersedes it, if any.
	SupersededBy string    `json:"supersededBy,omitempty"`
	PublishedBy  string    `json:"publishedBy"`
	Role         string    `json:"role"`
	RecordedAt   time.Time `json:"recordedAt"`
	Stream       string    `json:"stream"`
	// StreamVersion and Position locate the event in its stream and the log.
	StreamVersion uint64 `json:"streamVersion"`
	Position      uint64 `json:"position"`
}

// readPublished returns programme p's published versions in publication
// order, as its stream holds them.
func readPublished(ctx context.Context, store eventstore.Store, p programme.Code) ([]published, error) {
	stream := schema.Policy(p).Stream
	evs, err := store.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	c := schema.Codec()
	var out []published
	for i := range evs {
		ev, err := c.Decode(&evs[i])
		if err != nil {
			return nil, fmt.Errorf("%s version %d: %w", stream, evs[i].Version, err)
		}
		e, ok := ev.(policy.PolicyVersionPublished)
		if !ok {
			continue
		}
		out = append(out, published{Version: e.Version, PublishedBy: evs[i].Metadata.Actor, Role: evs[i].Metadata.Role,
			RecordedAt: evs[i].RecordedAt, Stream: stream, StreamVersion: evs[i].Version, Position: evs[i].Position})
	}
	for i := range out {
		for _, w := range out {
			if w.Version.Supersedes == out[i].Version.ID {
				out[i].SupersededBy = w.Version.ID
			}
		}
	}
	return out, nil
}

// errNoLedger is the usage error of a subcommand given neither --data
// nor --store.
var errNoLedger = errors.New("--data or --store is required")

// openPolicyStore opens the store of a reading subcommand read-only.
func openPolicyStore(ctx context.Context, dir, storeURL string, stderr io.Writer) (eventstore.Store, error) {
	if dir == "" && storeURL == "" {
		return nil, errNoLedger
	}
	store, _, err := openReadOnly(ctx, dir, storeURL, storeLog(stderr))
	return store, err
}

const policyListHelp = `
Lists the published policy versions, per programme in order of their
first day in force: ID, first and last day (an open end is "open"), the
version it supersedes and the amendment that supersedes it. With --on,
only the version each programme has in force on that date (the one
policy.Select picks for a claim of that date). The ledger is opened
read-only, so this works beside a running server.

Examples:
  fundledger policy list --data /var/lib/fundledger
  fundledger policy list --data /var/lib/fundledger --programme start-up --on 2025-08-01`

func runPolicyList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("policy list", "policy list --data DIR [--store URL] [--programme P] [--on YYYY-MM-DD]", policyListHelp)
	dir := fs.String("data", "", "the ledger's data `directory`")
	storeURL := storeFlag(fs, "to read instead of the embedded store in --data")
	prog := fs.String("programme", "", "list only this `programme`")
	on := fs.String("on", "", "list only the versions in force on this `date` (YYYY-MM-DD)")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	progs := programme.All()
	if *prog != "" {
		p, err := programme.Parse("programme", *prog)
		if err != nil {
			return usageError(fs, stderr, fmt.Sprintf("--programme: %v", err))
		}
		progs = []programme.Code{p}
	}
	var day calendar.Date
	if *on != "" {
		d, err := calendar.Parse("on", *on)
		if err != nil {
			return usageError(fs, stderr, fmt.Sprintf("--on: %v", err))
		}
		day = d
	}
	store, err := openPolicyStore(ctx, *dir, *storeURL, stderr)
	if err != nil {
		return policyOpenError(fs, stderr, err)
	}
	defer store.Close()

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROGRAMME\tID\tFROM\tTO\tSUPERSEDES\tSUPERSEDED BY")
	rows := 0
	for _, p := range progs {
		all, err := readPublished(ctx, store, p)
		if err != nil {
			fmt.Fprintf(stderr, "fundledger policy list: %v\n", err)
			return exitFailure
		}
		shown := inForceOn(all, p, day)
		sortByStart(shown)
		for _, v := range shown {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p, v.Version.ID, v.Version.EffectiveFrom, openEnd(v.Version.EffectiveTo),
				dash(v.Version.Supersedes), dash(v.SupersededBy))
			rows++
		}
	}
	if rows == 0 {
		if day.IsZero() {
			fmt.Fprintln(stderr, "no policy version is published")
		} else {
			fmt.Fprintf(stderr, "no policy version is in force on %s\n", day)
		}
		return exitOK
	}
	if err := tw.Flush(); err != nil {
		return exitFailure
	}
	return exitOK
}

// inForceOn returns all when day is zero, else the version of programme p
// in force on day, if any.
func inForceOn(all []published, p programme.Code, day calendar.Date) []published {
	if day.IsZero() {
		return all
	}
	versions := make([]policy.Version, len(all))
	for i := range all {
		versions[i] = all[i].Version
	}
	v, err := policy.Select(versions, p, day)
	if err != nil {
		return nil
	}
	for _, w := range all {
		if w.Version.ID == v.ID {
			return []published{w}
		}
	}
	return nil
}

// sortByStart orders versions by first day in force, then ID.
func sortByStart(vs []published) {
	slices.SortFunc(vs, func(a, b published) int {
		return cmp.Or(a.Version.EffectiveFrom.Compare(b.Version.EffectiveFrom), strings.Compare(a.Version.ID, b.Version.ID))
	})
}

func openEnd(d calendar.Date) string {
	if d.IsZero() {
		return "open"
	}
	return d.String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// policyOpenError reports a failure to open the ledger: a bad --store or
// a missing --data is a usage error, anything else a failure.
func policyOpenError(fs *flag.FlagSet, stderr io.Writer, err error) int {
	if errors.Is(err, datadir.ErrStoreURL) || errors.Is(err, errNoLedger) {
		return usageError(fs, stderr, err.Error())
	}
	fmt.Fprintf(stderr, "fundledger %s: %v\n", fs.Name(), err)
	return exitFailure
}

const policyShowHelp = `
Prints one published policy version as JSON: the version exactly as
recorded, the amendment that supersedes it (if any), who published it in
which role, when the store recorded it, and where the event is (stream,
stream version, log position). Exits 1 if no programme has a version with
that ID.

Example:
  fundledger policy show --data /var/lib/fundledger start-up-2025`

func runPolicyShow(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("policy show", "policy show --data DIR [--store URL] ID", policyShowHelp)
	dir := fs.String("data", "", "the ledger's data `directory`")
	storeURL := storeFlag(fs, "to read instead of the embedded store in --data")
	pos, code, done := parseFlagsArgs(fs, args, 1, stdout, stderr)
	if done {
		return code
	}
	store, err := openPolicyStore(ctx, *dir, *storeURL, stderr)
	if err != nil {
		return policyOpenError(fs, stderr, err)
	}
	defer store.Close()
	for _, p := range programme.All() {
		all, err := readPublished(ctx, store, p)
		if err != nil {
			fmt.Fprintf(stderr, "fundledger policy show: %v\n", err)
			return exitFailure
		}
		for _, v := range all {
			if v.Version.ID != pos[0] {
				continue
			}
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				return exitFailure
			}
			return exitOK
		}
	}
	fmt.Fprintf(stderr, "fundledger policy show: no policy version %q is published\n", pos[0])
	return exitFailure
}
