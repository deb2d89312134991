package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
)

const replayHelp = `
Replays the ledger's log from the start up to instant T into fresh read
models and prints one of them as it stood then: only events recorded at or
before T are folded, so the answer is what the ledger said at T, whatever
was recorded since. The live read models and their snapshot are not
touched, and the log is only read.

T is an RFC 3339 instant (2025-03-31T18:00:00+08:00) or a date
(2025-03-31), which means the end of that day in Asia/Shanghai.

Views:
  funds     each fund: received, allocated, unallocated
  budgets   each budget line: allocated, reserved, spent, recovered, available
  claims    the claim queue: status, approved, paid, recovered
  trail     one claim's trail of events (needs --claim)

When stderr is a terminal a progress counter is shown there.

Examples:
  fundledger replay --data /var/lib/fundledger --as-of 2025-03-31
  fundledger replay --data /var/lib/fundledger --as-of 2025-02-01T00:00:00Z --view funds --format json
  fundledger replay --store esdb://kurrent:2113?tls=false --as-of 2025-03-31 --view trail --claim stab-2024-91632801MA0000001X`

// replayViews are the views replay prints, in the order its help lists them.
var replayViews = []string{"funds", "budgets", "claims", "trail"}

// replayRequest is what one replay prints.
type replayRequest struct {
	asOf          time.Time
	view, claimID string
	json          bool
}

func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("replay", "replay (--data DIR | --store URL) --as-of T [--view VIEW] [--claim ID] [--format table|json]", replayHelp)
	dir := fs.String("data", "", "the embedded ledger's data `directory`")
	storeURL := storeFlag(fs, "instead of --data")
	asOf := fs.String("as-of", "", "the `instant` to replay to: RFC 3339, or a date meaning the end of that day in Asia/Shanghai (required)")
	view := fs.String("view", "budgets", "the `view` to print: "+strings.Join(replayViews, ", "))
	claimID := fs.String("claim", "", "the claim `ID` whose trail --view trail prints")
	format := fs.String("format", "table", "output `format`: table or json")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if (*dir == "") == (*storeURL == "") {
		return usageError(fs, stderr, "give exactly one of --data and --store")
	}
	if *asOf == "" {
		return usageError(fs, stderr, "--as-of is required")
	}
	t, err := parseInstant(*asOf)
	if err != nil {
		return usageError(fs, stderr, fmt.Sprintf("--as-of: %v", err))
	}
	req := replayRequest{asOf: t, view: *view, claimID: *claimID}
	switch *format {
	case "table":
	case "json":
		req.json = true
	default:
		return usageError(fs, stderr, fmt.Sprintf("--format must be table or json, not %q", *format))
	}
	switch {
	case !slices.Contains(replayViews, req.view):
		return usageError(fs, stderr, fmt.Sprintf("--view must be one of %s, not %q", strings.Join(replayViews, ", "), req.view))
	case req.view == "trail" && req.claimID == "":
		return usageError(fs, stderr, "--view trail needs --claim ID")
	case req.view != "trail" && req.claimID != "":
		return usageError(fs, stderr, "--claim goes with --view trail")
	}

	log := storeLog(stderr)
	pr, views, err := replayOnce(ctx, *dir, *storeURL, req.asOf, stderr, log)
	if errors.Is(err, sqlite.ErrChangedWhileReading) {
		// A writer opened the closed ledger and checkpointed into it while
		// it was read; opened again, the ledger is read beside that writer.
		pr, views, err = replayOnce(ctx, *dir, *storeURL, req.asOf, stderr, log)
	}
	if errors.Is(err, datadir.ErrStoreURL) {
		return usageError(fs, stderr, err.Error())
	}
	if err != nil {
		fmt.Fprintf(stderr, "fundledger replay: %v\n", err)
		return exitFailure
	}
	if err := printReplay(stdout, req, pr, views); err != nil {
		fmt.Fprintf(stderr, "fundledger replay: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// replayOnce opens the ledger read-only and replays it into fresh views up
// to asOf.
func replayOnce(ctx context.Context, dir, storeURL string, asOf time.Time, stderr io.Writer, log *slog.Logger) (projections.Progress, *datadir.Views, error) {
	store, _, err := openReadOnly(ctx, dir, storeURL, log)
	if err != nil {
		return projections.Progress{}, nil, err
	}
	defer store.Close()
	views := datadir.NewViews()
	bar := newProgress(stderr, -1, "replaying", "events")
	pr, err := projections.AsOf(ctx, countingStore{Store: store, read: bar.Add}, schema.Codec(), asOf, views.All()...)
	bar.Finish()
	return pr, views, err
}

// parseInstant reads an RFC 3339 instant, or a date meaning the last
// instant of that day in Asia/Shanghai.
func parseInstant(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := calendar.Parse("as-of", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want an RFC 3339 instant (2025-03-31T18:00:00+08:00) or a date (2025-03-31), got %q", s)
	}
	return d.AddDays(1).Start().Add(-time.Nanosecond), nil
}

// countingStore reports how many events each read of the global log
// returned, which is how far a replay got.
type countingStore struct {
	eventstore.Store
	read func(n int)
}

// ReadAll reads from the store and reports the count.
func (s countingStore) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.Event, error) {
	evs, err := s.Store.ReadAll(ctx, after, limit)
	s.read(len(evs))
	return evs, err
}

// replayOutput is the JSON form of a replay: where it stopped, then the
// view.
type replayOutput struct {
	AsOf     time.Time `json:"asOf"`
	Position uint64    `json:"position"`
	Events   int       `json:"events"`
	View     string    `json:"view"`
	Rows     any       `json:"rows"`
}

func printReplay(w io.Writer, req replayRequest, pr projections.Progress, v *datadir.Views) error {
	var rows any
	switch req.view {
	case "funds":
		rows = v.Budgets.Funds()
	case "budgets":
		rows = v.Budgets.Lines()
	case "claims":
		rows = v.Claims.Find(projections.ClaimFilter{})
	case "trail":
		trail, ok := v.Trail.ClaimTrail(req.claimID)
		if !ok {
			return fmt.Errorf("claim %s has no events recorded at or before %s", req.claimID, req.asOf.Format(time.RFC3339))
		}
		rows = trail
	}
	if req.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(replayOutput{AsOf: req.asOf, Position: pr.Position, Events: pr.Events, View: req.view, Rows: rows})
	}
	fmt.Fprintf(w, "as of %s: %d events read, to position %d\n\n",
		req.asOf.In(calendar.Shanghai()).Format(time.RFC3339), pr.Events, pr.Position)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	switch rows := rows.(type) {
	case []projections.FundTotals:
		fmt.Fprintln(tw, "fund\tyear\treceived\tallocated\tunallocated")
		for _, f := range rows {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", f.ID, f.FiscalYear, f.Received, f.Allocated, f.Unallocated)
		}
	case []projections.BudgetLine:
		fmt.Fprintln(tw, "budget line\tprogramme\tregion\tallocated\treserved\tspent\trecovered\tavailable")
		for _, b := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.ID, b.Programme, b.Region, b.Allocated, b.Reserved, b.Spent, b.Recovered, b.Available)
		}
	case []projections.ClaimRow:
		fmt.Fprintln(tw, "claim\tprogramme\tcounty\tstatus\tapproved\tpaid\trecovered")
		for _, c := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Programme, c.County, c.Status, c.Approved, c.Paid, c.Recovered)
		}
	case []projections.TrailEntry:
		fmt.Fprintln(tw, "position\tstream\tversion\ttype\trecorded at\tactor\trole\tpolicy")
		for _, e := range rows {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", e.Position, e.Stream, e.Version, e.Type,
				e.RecordedAt.Format(time.RFC3339), e.Actor, e.Role, e.PolicyVersion)
		}
	}
	return tw.Flush()
}
