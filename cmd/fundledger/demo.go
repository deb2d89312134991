package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/haixi-hrss/fundledger/cmd/fundledger/haixi"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/region"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/eventstore/integrity"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/projections"
)

const demoHelp = `
Builds a realistic demo ledger of Haixi Prefecture's first quarter of 2025
in DIR (created if needed) through the same command path the service uses:
the employment subsidy fund and the unemployment-insurance fund with their
transfers and allocations to all seven county-level units, the published
policy versions, employers with monthly headcounts and premiums, claims of
every programme in every state (rejections, an objection, a failed payment,
a cancellation, a clawback), the outcomes they bought, and the year's
targets with the monthly indicators.

It then prints an evaluator's report, read from the ledger's projections:
per programme and county the money allocated and spent, who was paid and
the outcomes bought (jobs retained, hires still insured, trainees placed),
and the prefecture's indicator lines against the year's targets. It
verifies the ledger and prints its digest, creates one API token per role
(stored hashed in DIR/tokens.json, shown once), and tells how to start the
server on the ledger and what to try with each token.

People are named in the log only by references keyed with the ledger's
secret, DIR/person.key (created on first use, mode 0600), which the server
is told to read with --person-secret-file. Each claim about a person
registers the person's resident ID and name, as the API's claim routes
do, in DIR/persondata.db, sealed under a key of the person's own; the
server reveals them to an entitled role, recording each reveal in the log
first, and an administrator can erase them.

Every command has a fixed ID and idempotency key, so running the demo again
appends nothing, registers no one again and creates no tokens. People's
names and resident IDs are invented (Haixi area codes 6328xx, valid check
characters); document numbers, units and amounts are illustrative and
marked 演示 (demo); the indicator totals and targets are the prefecture's
published figures.`

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("demo", "demo [--data DIR] [--store URL]", demoHelp)
	dir := fs.String("data", "", "the ledger's data `directory` (default: the user cache directory's fundledger/demo)")
	storeURL := storeFlag(fs, "to hold the events; the data directory then keeps the read models' snapshot, the tokens, the person key and persondata.db")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return usageError(fs, stderr, fmt.Sprintf("no default data directory (%v): pass --data", err))
		}
		*dir = filepath.Join(cache, "fundledger", "demo")
	}
	// Checked before anything is created: a mistyped URL must not leave
	// an empty data directory behind.
	if err := datadir.CheckStoreURL(*storeURL); err != nil {
		return usageError(fs, stderr, err.Error())
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "fundledger demo: %v\n", err)
		return exitFailure
	}
	l, err := openLedger(ctx, *dir, *storeURL, true, storeLog(stderr))
	if err != nil {
		return fail(err)
	}
	defer l.Close()

	// A ledger that began with anything but the demo's first step holds
	// someone else's history: the demo must not write its people and money
	// into it.
	prior, err := l.Store.ReadAll(ctx, 0, 1)
	if err != nil {
		return fail(err)
	}
	if len(prior) > 0 && !haixi.Began(prior[0]) {
		return fail(fmt.Errorf("the ledger in %s already held events that are not this demo's (the first is %s in %s); "+
			"build the demo in an empty --data directory", l.StoreName, prior[0].Type, prior[0].Stream))
	}
	tally, err := buildDemo(ctx, l)
	if err != nil {
		return fail(err)
	}
	rep, err := readReport(ctx, l)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "Haixi Prefecture (海西州), January–March 2025: demo ledger in %s\n", l.StoreName)
	fmt.Fprintf(stdout, "%d commands, %d events appended, %d already present\n\n", tally.Commands, tally.Appended, tally.Present)
	printReport(stdout, rep)

	vrep, err := integrity.Verify(ctx, l.Store, integrity.Options{})
	fmt.Fprintln(stdout)
	if code := reportVerify(stdout, stderr, l.StoreName, vrep, err); code != exitOK {
		return code
	}
	fmt.Fprintf(stdout, "\nVerify it again at any time (exits 1 if a byte changed):\n  fundledger verify %s --expect %s\n",
		ledgerFlags(*dir, *storeURL), vrep.Digest)

	tokens, err := ensureTokens(tokensPath(*dir), time.Now())
	if err != nil {
		return fail(err)
	}
	claimID, person, err := auditedPerson(l)
	if err != nil {
		return fail(err)
	}
	printNextSteps(stdout, *dir, *storeURL, tokens)
	printReveal(stdout, tokens, claimID, person)
	return exitOK
}

// printReport prints the evaluator's report.
func printReport(w io.Writer, rep demoReport) {
	fmt.Fprintln(w, "Funds (yuan)")
	tw := tabwriter.NewWriter(w, 2, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "fund\tkind\t%15s\t%15s\t%15s\n", "received", "allocated", "unallocated")
	for _, f := range rep.funds {
		fmt.Fprintf(tw, "%s\t%s\t%15s\t%15s\t%15s\n", f.ID, f.Kind, yuan(f.Received), yuan(f.Allocated), yuan(f.Unallocated))
	}
	tw.Flush()

	fmt.Fprintf(w, "\nMoney spent and outcomes bought, by programme and county (yuan, %s)\n", demoPeriod)
	tw = tabwriter.NewWriter(w, 2, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "programme\tcounty\t%13s\t%13s\t%9s\tpaid\toutcome\t%s\n", "allocated", "net spent", "execution", "cost per outcome")
	for _, r := range append(rep.rows, rep.total) {
		fmt.Fprintf(tw, "%s\t%s\t%13s\t%13s\t%9s\t%s\t%s\t%s\n", r.Programme, countyName(r.County), yuan(r.AllocatedToDate), yuan(r.NetSpentToDate),
			rate(r.ExecutionRate), paid(r), outcomeText(r), costText(r))
	}
	tw.Flush()

	fmt.Fprint(w, "\nClaims by status:")
	for _, s := range []claim.Status{claim.StatusSubmitted, claim.StatusChecked, claim.StatusApproved, claim.StatusInDisclosure,
		claim.StatusDisclosed, claim.StatusPaid, claim.StatusRejected, claim.StatusCancelled} {
		fmt.Fprintf(w, " %s %d", s, rep.statuses[s])
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "\nHaixi Prefecture indicators, January–March 2025")
	for _, ind := range rep.indicators {
		fmt.Fprintf(w, " - %s\n", ind.Line)
	}
}

// countyName names a county-level unit, the prefecture, or "all".
func countyName(code string) string {
	if name := region.Code(code).NameEN(); name != "" {
		return name
	}
	return code
}

// rate is an execution rate with its percent sign, "-" when none.
func rate(r string) string {
	if r == "" {
		return "-"
	}
	return r + "%"
}

// paid says who was paid: people, employers, or both.
func paid(r projections.PerformanceRow) string {
	var parts []string
	if r.PeoplePaid > 0 {
		parts = append(parts, plural(r.PeoplePaid, "person", "people"))
	}
	if r.EmployersPaid > 0 {
		parts = append(parts, plural(r.EmployersPaid, "employer", "employers"))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// plural is n and the noun in the number n asks for.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// outcomeText says what the money bought, in the measures the row holds:
// jobs retained by refund recipients, subsidised hires and how many were
// still insured at a checkpoint, trainees placed within the policy's window.
func outcomeText(r projections.PerformanceRow) string {
	var parts []string
	if r.RefundRecipients > 0 {
		parts = append(parts, fmt.Sprintf("%s jobs retained", thousands(int64(r.JobsRetained))))
	}
	if r.Hires > 0 {
		parts = append(parts, plural(r.Hires, "hire", "hires"))
	}
	for _, c := range r.Checkpoints {
		if c.Checked > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d insured at +%d months", c.StillInsured, c.Checked, c.Months))
		}
	}
	if r.TraineesCertified > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d trainees placed", r.TraineesPlacedWithin, r.TraineesCertified))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// costText is the row's cost per outcome, where the model computes one.
func costText(r projections.PerformanceRow) string {
	switch {
	case r.CostPerRetainedJob != nil:
		return yuan(*r.CostPerRetainedJob) + " per job retained"
	case r.CostPerAbsorbedPerson != nil:
		return yuan(*r.CostPerAbsorbedPerson) + " per person still insured"
	case r.CostPerPlacedTrainee != nil:
		return yuan(*r.CostPerPlacedTrainee) + " per trainee placed"
	}
	return "-"
}

// printNextSteps tells how to start the server on the demo ledger and
// gives each role's token and a request to try.
func printNextSteps(w io.Writer, dir, storeURL string, tokens []demoToken) {
	q := shellQuote(dir)
	fmt.Fprintf(w, "\nAPI tokens, one per role (stored hashed in %s):\n", tokensPath(dir))
	created := false
	for _, t := range tokens {
		if t.plaintext != "" {
			created = true
			fmt.Fprintf(w, "  %-13s %-20s %s\n", t.role, t.principal, t.plaintext)
		} else {
			fmt.Fprintf(w, "  %-13s %-20s (created earlier, token %s; it is shown only once)\n", t.role, t.principal, t.id)
		}
	}
	if created {
		fmt.Fprintln(w, "Keep them now: the file holds only their hashes, so they cannot be shown again.")
	} else {
		fmt.Fprintf(w, "Lost one? Create another: fundledger tokens create --data %s --principal NAME --role ROLE\n", q)
	}
	fmt.Fprintf(w, "\nStart the server on this ledger (with the ledger's person key, so the resident IDs clerks send match the demo's people):\n"+
		"  fundledger serve --data %s%s --tokens %s --person-secret-file %s\n", q, storeArg(storeURL), shellQuote(tokensPath(dir)), shellQuote(personKeyPath(dir)))
	fmt.Fprintln(w, "  (from the source tree, 'go install ./cmd/fundledger' puts fundledger on your PATH; or run 'go run ./cmd/fundledger serve ...')")
	fmt.Fprintln(w, "\nThen try, in another terminal:")
	for _, t := range tokens {
		token := t.plaintext
		if token == "" {
			token = "$" + strings.ToUpper(t.role) + "_TOKEN"
		}
		fmt.Fprintf(w, "  # %s\n  curl -s -H \"Authorization: Bearer %s\" 'http://127.0.0.1:8080%s'\n", demoTry[t.role], token, demoPaths[t.role])
	}
}

// printReveal gives the auditor's requests to see the identity of the
// person paid on claim claimID, whose reference is person, and then the
// log's record of that look.
func printReveal(w io.Writer, tokens []demoToken, claimID, person string) {
	token := "$AUDITOR_TOKEN"
	for _, t := range tokens {
		if t.role == role.Auditor && t.plaintext != "" {
			token = t.plaintext
		}
	}
	body := fmt.Sprintf(`{"reason":"audit of the clawback for a forged certificate on claim %s"}`, claimID)
	fmt.Fprintf(w, "  # auditor: who was paid on claim %s, clawed back for a forged certificate. The reveal is\n"+
		"  # recorded in the log (IdentityRevealed: who, in which role, why) before the identity is shown\n", claimID)
	fmt.Fprintf(w, "  curl -s -H \"Authorization: Bearer %s\" -H 'Content-Type: application/json' -d %s 'http://127.0.0.1:8080/v1/people/%s/reveal'\n",
		token, shellQuote(body), person)
	fmt.Fprintln(w, "  # auditor: that record, in the person's reveal stream")
	fmt.Fprintf(w, "  curl -s -H \"Authorization: Bearer %s\" 'http://127.0.0.1:8080/v1/audit/streams/reveal-%s/events'\n", token, person)
}

// ledgerFlags names the demo's ledger on a command line: the KurrentDB
// server when it holds the events, the data directory otherwise.
func ledgerFlags(dir, storeURL string) string {
	if storeURL != "" {
		return "--store " + shellQuote(storeURL)
	}
	return "--data " + shellQuote(dir)
}

// storeArg is the --store flag of a server whose events are in KurrentDB.
func storeArg(storeURL string) string {
	if storeURL == "" {
		return ""
	}
	return " --store " + shellQuote(storeURL)
}

// demoPaths is a request worth trying for each role, and demoTry says what
// it shows.
var (
	demoPaths = map[string]string{
		"administrator": "/v1/funds/" + haixi.EmploymentSubsidyFund,
		"clerk":         "/v1/queue",
		"approver":      "/v1/queue",
		"treasurer":     "/v1/queue",
		"auditor":       "/v1/audit/verify",
		"evaluator":     "/v1/evaluation/indicators/632800?period=" + demoPeriod,
	}
	demoTry = map[string]string{
		"administrator": "administrator: the employment subsidy fund, received and allocated",
		"clerk":         "clerk (Golmud): claims to check, disclose or complete",
		"approver":      "approver (Golmud): claims awaiting a decision",
		"treasurer":     "treasurer: disclosed claims to release, payments awaiting the bank",
		"auditor":       "auditor: verify every hash chain and get the digest",
		"evaluator":     "evaluator: the prefecture's indicators against the year's targets, to the end of March",
	}
)

// yuan prints an amount with thousands separators: 1,008,288.00.
func yuan(a money.Amount) string {
	s := a.String()
	whole, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	out := groupThousands(whole) + "." + frac
	if neg {
		return "-" + out
	}
	return out
}

// thousands prints n with thousands separators: 31,091.
func thousands(n int64) string {
	if n < 0 {
		return "-" + groupThousands(fmt.Sprint(-n))
	}
	return groupThousands(fmt.Sprint(n))
}

func groupThousands(digits string) string {
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell if it needs quoting.
func shellQuote(s string) string {
	for _, r := range s {
		if !(r == '/' || r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}
