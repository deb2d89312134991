package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/api/auth"
	"github.com/haixi-hrss/fundledger/cmd/fundledger/haixi"
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/outcome"
	"github.com/haixi-hrss/fundledger/domain/outcome/indicator"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/persondata"
	"github.com/haixi-hrss/fundledger/projections"
)

// The two lines, to the character.
const (
	newJobsLine  = " - new urban jobs 3,189 — 28.22% of the target of 11,300\n"
	transferLine = " - labour transfer 31,091 person-times — 38.86% of the target of 80,000\n"
)

var (
	digestLine = regexp.MustCompile(`digest +([0-9]+:[0-9a-f]{64})`)
	tallyLine  = regexp.MustCompile(`(\d+) commands, (\d+) events appended, (\d+) already present`)
	tokenText  = regexp.MustCompile(auth.Prefix + `[A-Za-z0-9_-]{20,}`)
	// residentID matches a Haixi resident ID: area, birth date, sequence
	// and check character.
	residentID = regexp.MustCompile(`6328[0-9]{2}(19|20)[0-9]{9}[0-9X]`)
)

// tally returns the counts of the demo's summary line.
func tally(t *testing.T, out string) (commands, appended, present int) {
	t.Helper()
	m := tallyLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no tally line in:\n%s", out)
	}
	fmt.Sscan(m[1], &commands)
	fmt.Sscan(m[2], &appended)
	fmt.Sscan(m[3], &present)
	return
}

// report is the evaluator's report of a demo run: from the funds to the
// indicator lines.
func report(t *testing.T, out string) string {
	t.Helper()
	start, end := strings.Index(out, "Funds (yuan)"), strings.Index(out, "ledger intact")
	if start < 0 || end < start {
		t.Fatalf("no report in:\n%s", out)
	}
	return out[start:end]
}

// The demo builds the ledger, prints the indicator lines exactly,
// verifies, prints one token per role and the way to the server; a second
// run appends nothing, creates no token and prints the same report and
// digest. The ledger it built then holds every state the issue lists, and
// its indicator lines follow a correction recorded in it.
func TestDemoBuildsReportsAndRerunsIdempotently(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "new", "demo")
	first := cli(t, "demo", "--data", dir)
	first.wantCode(t, exitOK)
	first.wantOut(t, newJobsLine, transferLine, "ledger intact: "+dir,
		"Money spent and outcomes bought, by programme and county", "jobs retained", "insured at +3 months", "trainees placed",
		"fundledger serve --data "+dir+" --tokens "+filepath.Join(dir, auth.DefaultFile)+" --person-secret-file "+filepath.Join(dir, persondata.SecretFileName),
		"fundledger verify --data "+dir+" --expect ")
	commands, appended, present := tally(t, first.stdout)
	if appended == 0 || present != 0 {
		t.Fatalf("first run: %d commands, %d appended, %d present", commands, appended, present)
	}
	digest := digestLine.FindStringSubmatch(first.stdout)
	if digest == nil {
		t.Fatalf("no digest in:\n%s", first.stdout)
	}
	tokens := slices.Compact(slices.Sorted(slices.Values(tokenText.FindAllString(first.stdout, -1))))
	if len(tokens) != 6 {
		t.Fatalf("first run printed %d tokens, want one per role (6):\n%s", len(tokens), first.stdout)
	}
	entries, err := auth.List(filepath.Join(dir, auth.DefaultFile))
	if err != nil || len(entries) != len(tokens) {
		t.Fatalf("the tokens file lists %d tokens (err %v), want %d", len(entries), err, len(tokens))
	}
	stored, err := os.ReadFile(filepath.Join(dir, auth.DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if strings.Contains(string(stored), tok) {
			t.Fatal("the tokens file holds a plaintext token")
		}
		if !strings.Contains(first.stdout, `curl -s -H "Authorization: Bearer `+tok+`" 'http://`) {
			t.Errorf("no curl line for token %s…", tok[:8])
		}
	}
	tks, err := auth.Load(filepath.Join(dir, auth.DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]bool{}
	for _, tok := range tokens {
		p, ok := tks.Verify(tok)
		if !ok {
			t.Fatalf("printed token %s… does not verify", tok[:8])
		}
		roles[p.Role] = true
	}
	for _, r := range []string{role.Administrator, role.Clerk, role.Approver, role.Treasurer, role.Auditor, role.Evaluator} {
		if !roles[r] {
			t.Errorf("no token for role %s", r)
		}
	}
	before := storeHead(t, dir)

	again := cli(t, "demo", "--data", dir)
	again.wantCode(t, exitOK)
	c2, a2, p2 := tally(t, again.stdout)
	if c2 != commands || a2 != 0 || p2 != appended {
		t.Fatalf("rerun: %d commands, %d appended, %d present; want %d, 0, %d", c2, a2, p2, commands, appended)
	}
	if after := storeHead(t, dir); after != before {
		t.Fatalf("the rerun moved the log head from %d to %d", before, after)
	}
	again.wantOut(t, "digest          "+digest[1])
	if got, want := report(t, again.stdout), report(t, first.stdout); got != want {
		t.Errorf("the rerun's report differs:\n%s\nfirst:\n%s", got, want)
	}
	if n := len(tokenText.FindAllString(again.stdout, -1)); n != 0 {
		t.Errorf("the rerun printed %d tokens; they are shown only when created", n)
	}
	if again2, err := auth.List(filepath.Join(dir, auth.DefaultFile)); err != nil || len(again2) != len(entries) {
		t.Fatalf("the rerun left %d tokens (err %v), want %d", len(again2), err, len(entries))
	}
	// The command the demo prints works and matches.
	cli(t, "verify", "--data", dir, "--expect", digest[1]).wantOut(t, "expected digest matched")

	// One build serves the checks below; the last one changes the ledger.
	t.Run("every state", func(t *testing.T) { checkEveryState(t, dir) })
	t.Run("people are registered", func(t *testing.T) { checkPeopleAreRegistered(t, dir) })
	t.Run("the server reveals what the demo says", func(t *testing.T) { checkTheServerRevealsWhatTheDemoSays(t, first.stdout) })
	t.Run("indicators follow the ledger", func(t *testing.T) { checkIndicatorsFollowTheLedger(t, dir) })
}

// openDemo opens a data directory the demo built, with its views current.
func openDemo(t *testing.T, dir string) *datadir.Ledger {
	t.Helper()
	l, err := datadir.Open(context.Background(), dir, datadir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if _, err := l.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	return l
}

// checkEveryState checks that the ledger the demo built in dir holds what
// the issue lists, read back from the projections and the claims' own
// streams: every claim status; every programme paid in some county; a
// payment the bank refused and that was paid on retry; a cancellation; an
// objection; clawbacks for ineligibility and for fraud; rejections
// at the check and by an approver; a claim above the
// threshold approved by two different approvers; no claim approved by its
// submitter; no resident ID in plaintext; every county's budget line of
// every programme funded; and the report's money agreeing with the lines.
func checkEveryState(t *testing.T, dir string) {
	ctx := context.Background()
	l := openDemo(t, dir)

	var rows []projections.ClaimRow
	var lines []projections.BudgetLine
	l.Runner.Read(func(uint64) {
		rows = l.Views.Claims.Find(projections.ClaimFilter{})
		lines = l.Views.Budgets.Lines()
	})
	statuses := map[claim.Status]int{}
	paidIn := map[programme.Code]map[region.Code]bool{}
	var retried, twoApprovers int
	for _, r := range rows {
		statuses[r.Status]++
		if r.Paid.IsPositive() {
			if paidIn[r.Programme] == nil {
				paidIn[r.Programme] = map[region.Code]bool{}
			}
			paidIn[r.Programme][r.County] = true
		}
		for _, in := range r.Instalments {
			if in.Attempts > 1 && in.Status == claim.InstalmentSettled {
				retried++
			}
		}
		if len(r.Approvers) == 2 && r.Approvers[0] != r.Approvers[1] && r.Status == claim.StatusPaid {
			twoApprovers++
		}
		if slices.Contains(r.Approvers, r.SubmittedBy) {
			t.Errorf("claim %s was approved by its submitter %s", r.ID, r.SubmittedBy)
		}
	}
	for _, s := range []claim.Status{claim.StatusSubmitted, claim.StatusChecked, claim.StatusRejected, claim.StatusApproved,
		claim.StatusInDisclosure, claim.StatusDisclosed, claim.StatusPaid, claim.StatusCancelled} {
		if statuses[s] == 0 {
			t.Errorf("no claim is %s (statuses: %v)", s, statuses)
		}
	}
	for _, p := range programme.All() {
		if len(paidIn[p]) == 0 {
			t.Errorf("no %s claim was paid", p)
		}
	}
	if retried == 0 {
		t.Error("no instalment was paid after a failed attempt")
	}
	if twoApprovers == 0 {
		t.Error("no paid claim carries two different approvers")
	}

	// The claims' own streams: why money moved back, and who rejected.
	events := map[string]int{}
	var recovered []string
	var rejectedAtCheck, rejectedByApprover int
	for _, r := range rows {
		for _, e := range claimEvents(t, l, r.ID) {
			events[e.EventType()]++
			switch e := e.(type) {
			case *claim.ClawedBack:
				recovered = append(recovered, e.Reason)
			case *claim.Rejected:
				if len(e.FailedRules) > 0 {
					rejectedAtCheck++
				} else if e.Role == role.Approver && e.Actor != r.SubmittedBy {
					rejectedByApprover++
				}
			}
		}
	}
	slices.Sort(recovered)
	if !slices.Equal(recovered, []string{claim.Fraudulent, claim.Ineligible}) {
		t.Errorf("clawbacks for %v, want one for fraud and one for ineligibility", recovered)
	}
	if rejectedAtCheck == 0 || rejectedByApprover == 0 {
		t.Errorf("%d rejections at the check, %d by an approver; want both", rejectedAtCheck, rejectedByApprover)
	}
	for _, typ := range []string{(claim.PaymentFailed{}).EventType(), (claim.ObjectionRaised{}).EventType(), (claim.Cancelled{}).EventType()} {
		if events[typ] == 0 {
			t.Errorf("no %s in any claim", typ)
		}
	}

	// People enter the log only as keyed references and, in disclosures,
	// masked IDs: no resident ID of the demo's people is in plaintext.
	if !residentID.MatchString("632801199903151230") {
		t.Fatal("the resident ID pattern misses a valid Golmud ID")
	}
	log, err := l.Store.ReadAll(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if id := residentID.Find(e.Data); id != nil {
			t.Fatalf("%s version %d holds a resident ID in plaintext: %s…", e.Stream, e.Version, id[:6])
		}
	}

	// Every programme has a funded line in every county, and the funds
	// allocated exactly what the lines hold.
	funded := map[string]money.Amount{}
	for _, line := range lines {
		if !line.Allocated.IsPositive() {
			t.Errorf("line %s holds %s", line.ID, line.Allocated)
		}
		funded[line.FundID] = funded[line.FundID].Add(line.Allocated)
	}
	if len(lines) != len(programme.All())*len(region.Counties()) {
		t.Errorf("%d budget lines, want %d programmes × %d counties", len(lines), len(programme.All()), len(region.Counties()))
	}
	// The evaluators' model, which the report prints, agrees with the
	// officers' budget lines on the money.
	rep, err := readReport(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	var allocated, net money.Amount
	for _, line := range lines {
		allocated = allocated.Add(line.Allocated)
		net = net.Add(line.Spent).Sub(line.Recovered)
	}
	if !rep.total.AllocatedToDate.Equal(allocated) || !rep.total.NetSpentToDate.Equal(net) || !net.IsPositive() {
		t.Errorf("report total: allocated %s, net spent %s; budget lines: %s, %s", rep.total.AllocatedToDate, rep.total.NetSpentToDate, allocated, net)
	}
	for _, id := range []string{haixi.EmploymentSubsidyFund, haixi.UnemploymentInsuranceFund} {
		f, err := haixi.Fold(ctx, haixi.Ledger{Store: l.Store, Codec: l.Codec}, schema.Fund(id))
		if err != nil {
			t.Fatal(err)
		}
		if !f.Allocated.Equal(funded[id]) || f.Allocated.GreaterThan(f.Received) {
			t.Errorf("fund %s received %s, allocated %s; its lines hold %s", id, f.Received, f.Allocated, funded[id])
		}
	}
}

func claimEvents(t *testing.T, l *datadir.Ledger, id string) []domain.Event {
	t.Helper()
	evs, err := l.Store.ReadStream(context.Background(), claim.Stream(id), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]domain.Event, len(evs))
	for i := range evs {
		if out[i], err = l.Codec.Decode(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// checkIndicatorsFollowTheLedger: the indicator lines are computed from the
// recorded values. A correction recorded after the demo in dir changes them
// on the next run, and the demo's own commands still replay.
func checkIndicatorsFollowTheLedger(t *testing.T, dir string) {
	ctx := context.Background()
	l, err := datadir.Open(ctx, dir, datadir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fix := indicator.Record{Region: region.Golmud, Year: haixi.Year, Indicator: outcome.NewUrbanJobs, Month: "2025-03", Value: 687,
		Correction: "late registrations", Actor: haixi.Clerk(region.Golmud), Role: role.Clerk, At: time.Date(2025, 4, 3, 9, 0, 0, 0, time.UTC)}
	if _, err := ledger.Handle(ctx, l.Service, schema.Indicator(region.Golmud, haixi.Year), ledger.Command{ID: uuid.New()},
		func(s indicator.State) ([]domain.Event, error) { return indicator.Decide(s, fix) }); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	again := cli(t, "demo", "--data", dir)
	again.wantCode(t, exitOK)
	again.wantOut(t, " - new urban jobs 3,190 — 28.23% of the target of 11,300\n", transferLine)
	if _, appended, _ := tally(t, again.stdout); appended != 0 {
		t.Errorf("the rerun appended %d events", appended)
	}
}

func TestDemoDefaultsToUserCacheDir(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache) // os.UserCacheDir's fallback on other systems
	want, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	r := cli(t, "demo")
	r.wantCode(t, exitOK)
	dir := filepath.Join(want, "fundledger", "demo")
	r.wantOut(t, "ledger intact: "+dir)
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Fatal(err)
	}
}

// A --store that is not KurrentDB's is a usage error that creates nothing.
func TestDemoRefusesAnotherStore(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")
	r := cli(t, "demo", "--data", dir, "--store", "postgres://localhost/ledger")
	r.wantCode(t, exitUsage)
	r.wantErr(t, "esdb://host:2113")
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused demo created %s (stat: %v)", dir, err)
	}
}

// A ledger that began with someone else's history is not written into:
// the demo fails and appends nothing, whether the other history is a fund
// of the same ID or anything else.
func TestDemoRefusesAForeignLedger(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	other := eventstore.EventData{ID: uuid.New(), Type: "FundOpened", SchemaVersion: 1, Data: []byte(`{"fundId":"other"}`)}
	if _, err := store.Append(context.Background(), fund.Stream(haixi.EmploymentSubsidyFund), eventstore.NoStream, other); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "demo", "--data", dir)
	r.wantCode(t, exitFailure)
	r.wantErr(t, "already held events that are not this demo's", "FundOpened in fund-"+haixi.EmploymentSubsidyFund)
	if head := storeHead(t, dir); head != 1 {
		t.Fatalf("log head is %d after the refused demo, want 1 (only the foreign event)", head)
	}
	for _, f := range []string{auth.DefaultFile, persondata.SecretFileName} {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the refused demo created %s (stat: %v)", f, err)
		}
	}
}

// A run that stops part way (the store refuses every append after the
// first N, wherever in a command or a claim process that falls) is
// completed by the next run, which appends only what is missing and ends
// with the report of an uninterrupted run.
func TestDemoCompletesAnInterruptedRun(t *testing.T) {
	t.Parallel()
	clean := cli(t, "demo", "--data", t.TempDir())
	clean.wantCode(t, exitOK)
	_, total, _ := tally(t, clean.stdout)
	for _, appends := range []int{600, 1800} {
		t.Run(fmt.Sprintf("after %d appends", appends), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			l, err := datadir.Open(context.Background(), dir, datadir.Options{})
			if err != nil {
				t.Fatal(err)
			}
			people, err := demoPeople(l)
			if err != nil {
				t.Fatal(err)
			}
			stopping := &stoppingStore{Store: l.Store, left: appends}
			_, err = haixi.Run(context.Background(), haixi.Ledger{Service: ledger.New(stopping, l.Codec), Store: l.Store, Codec: l.Codec, People: people})
			// A stop that falls on a claim process's budget step is
			// reported as that step pending (which does not unwrap).
			var pending *ledger.StepPendingError
			if !errors.Is(err, errStopped) && !(errors.As(err, &pending) && errors.Is(pending.Err, errStopped)) {
				t.Fatalf("%v, want the store's refusal", err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			r := cli(t, "demo", "--data", dir)
			r.wantCode(t, exitOK)
			_, appended, present := tally(t, r.stdout)
			if appended+present != total || present == 0 {
				t.Errorf("the completing run appended %d with %d present, want %d in all", appended, present, total)
			}
			if got, want := report(t, r.stdout), report(t, clean.stdout); got != want {
				t.Errorf("the report differs:\n%s\nuninterrupted:\n%s", got, want)
			}
		})
	}
}

// BenchmarkDemo measures a whole first run of the demo command into an
// empty data directory: the scenario, the catch-up of the read models, the
// report, verification and the tokens.
func BenchmarkDemo(b *testing.B) {
	for b.Loop() {
		var out, errOut strings.Builder
		if code := run(context.Background(), []string{"demo", "--data", b.TempDir()}, &out, &errOut); code != exitOK {
			b.Fatalf("exit %d: %s", code, errOut.String())
		}
	}
}

var errStopped = errors.New("store stopped")

// stoppingStore lets left appends through, then refuses every other.
type stoppingStore struct {
	eventstore.Store
	left int
}

func (s *stoppingStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if s.left == 0 {
		return eventstore.AppendResult{}, errStopped
	}
	s.left--
	return s.Store.Append(ctx, stream, expected, events...)
}

// storeHead is the global position of the last event in the ledger in dir.
func storeHead(t *testing.T, dir string) uint64 {
	t.Helper()
	store, err := sqlite.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var last uint64
	for {
		evs, err := store.ReadAll(context.Background(), last, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return last
		}
		last = evs[len(evs)-1].Position
	}
}
