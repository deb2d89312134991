package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/integrity"
	"github.com/shopspring/decimal"
)

const demoHelp = `
Builds a small demo ledger for Haixi Prefecture in DIR (created if needed):
the prefecture's 2025 employment subsidy fund opened, two transfers
received, and vocational-training budget lines allocated to its seven
county-level units; then verifies the ledger and prints its digest.

Every event has a fixed ID and an exact expected version, so running the
demo again appends nothing. Amounts and document numbers are illustrative,
not official figures.`

// demoNamespace derives the demo's deterministic event IDs.
var demoNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/haixi-hrss/fundledger/demo"))

// demoFund is the demo fund's stream.
const demoFund = "fund-haixi-esf-2025"

// demoTransfer is a transfer into the demo fund.
type demoTransfer struct {
	from, document, amount, date string
}

var demoTransfers = []demoTransfer{
	{"central", "DEMO 财社〔2025〕01号", "12000000.00", "2025-01-20"},
	{"province", "DEMO 青财社〔2025〕02号", "3000000.00", "2025-02-18"},
}

// demoCounty is a county-level unit of Haixi and its demo allocation.
type demoCounty struct {
	code, name, amount string
}

// The seven county-level units of Haixi (GB/T 2260), from the domain notes.
var demoCounties = []demoCounty{
	{"632801", "Golmud 格尔木市", "4200000.00"},
	{"632802", "Delingha 德令哈市", "2600000.00"},
	{"632803", "Mangya 茫崖市", "1300000.00"},
	{"632821", "Ulan 乌兰县", "1500000.00"},
	{"632822", "Dulan 都兰县", "1700000.00"},
	{"632823", "Tianjun 天峻县", "900000.00"},
	{"632825", "Da Qaidam 大柴旦行委", "800000.00"},
}

// demoAppend is one append of the demo: the stream, the version it must
// start at, and its events.
type demoAppend struct {
	stream string
	first  uint64
	events []eventstore.EventData
}

// demoAppends returns the demo ledger as a fixed sequence of appends.
func demoAppends() []demoAppend {
	admin := func(step, date string) eventstore.Metadata {
		return eventstore.Metadata{
			Actor: "demo-admin", Role: "administrator",
			CorrelationID:  uuid.NewSHA1(demoNamespace, []byte("correlation/"+step)).String(),
			IdempotencyKey: "demo/" + step, EffectiveDate: date,
		}
	}
	event := func(stream string, version uint64, typ string, data map[string]string, meta eventstore.Metadata) eventstore.EventData {
		b, _ := json.Marshal(data) // a map of strings always marshals
		return eventstore.EventData{
			ID:   uuid.NewSHA1(demoNamespace, fmt.Appendf(nil, "%s/%d", stream, version)),
			Type: typ, SchemaVersion: 1, Data: b, Metadata: meta,
		}
	}

	fund := demoAppend{stream: demoFund}
	fund.events = append(fund.events, event(demoFund, 0, "FundOpened", map[string]string{
		"fund": demoFund, "name": "海西州就业补助资金 2025 (demo)", "pot": "employment-subsidy",
		"region": "632800", "fiscalYear": "2025",
	}, admin("open-fund", "2025-01-02")))
	for i, tr := range demoTransfers {
		fund.events = append(fund.events, event(demoFund, uint64(1+i), "FundsReceived", map[string]string{
			"fund": demoFund, "from": tr.from, "document": tr.document, "amount": tr.amount,
		}, admin("receive/"+tr.from, tr.date)))
	}
	out := []demoAppend{fund}
	next := uint64(len(fund.events))
	for _, c := range demoCounties {
		line := "budget-haixi-esf-2025-training-" + c.code
		step := "allocate/" + c.code
		out = append(out,
			demoAppend{stream: demoFund, first: next, events: []eventstore.EventData{event(demoFund, next, "FundsAllocated", map[string]string{
				"fund": demoFund, "budgetLine": line, "amount": c.amount,
			}, admin(step, "2025-03-01"))}},
			demoAppend{stream: line, events: []eventstore.EventData{event(line, 0, "BudgetAllocated", map[string]string{
				"budgetLine": line, "fund": demoFund, "programme": "vocational-training",
				"county": c.code, "countyName": c.name, "fiscalYear": "2025", "amount": c.amount,
			}, admin(step, "2025-03-01"))}},
		)
		next++
	}
	return out
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("demo", "demo [--data DIR]", demoHelp)
	dir := fs.String("data", "", "the ledger's data `directory` (default: the user cache directory's fundledger/demo)")
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
	store, err := openOrCreate(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "fundledger demo: %v\n", err)
		return exitFailure
	}
	defer store.Close()

	added, present := 0, 0
	for _, a := range demoAppends() {
		n, err := appendOnce(ctx, store, a)
		if err != nil {
			fmt.Fprintf(stderr, "fundledger demo: %v\n", err)
			return exitFailure
		}
		added += n
		present += len(a.events) - n
	}
	fmt.Fprintf(stdout, "demo ledger: %d events appended, %d already present\n", added, present)
	if err := printFund(ctx, stdout, store, demoFund); err != nil {
		fmt.Fprintf(stderr, "fundledger demo: %v\n", err)
		return exitFailure
	}
	fmt.Fprintln(stdout)

	rep, err := integrity.Verify(ctx, store, integrity.Options{})
	code := reportVerify(stdout, stderr, *dir, rep, err)
	if code == exitOK {
		fmt.Fprintf(stdout, "\nVerify it again at any time (exits 1 if a byte changed):\n"+
			"  fundledger verify --data %s --expect %s\n", shellQuote(*dir), rep.Digest)
	}
	return code
}

// appendOnce appends a at its exact version and returns how many events it
// wrote. If the stream already holds events from that version on, they must
// be a's (same IDs) and nothing is written, so the demo can run any number
// of times. (The store would acknowledge an identical retry too, but then
// the demo could not tell what it added.)
func appendOnce(ctx context.Context, store eventstore.Store, a demoAppend) (int, error) {
	got, err := store.ReadStream(ctx, a.stream, a.first, len(a.events))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", a.stream, err)
	}
	if len(got) == 0 {
		expected := eventstore.NoStream
		if a.first > 0 {
			expected = eventstore.Exact(a.first - 1)
		}
		if _, err := store.Append(ctx, a.stream, expected, a.events...); err != nil {
			return 0, fmt.Errorf("append to %s: %w", a.stream, err)
		}
		return len(a.events), nil
	}
	for i := range a.events {
		if i >= len(got) || got[i].ID != a.events[i].ID {
			return 0, fmt.Errorf("stream %s from version %d does not hold the demo's events: is this a demo ledger?",
				a.stream, a.first)
		}
	}
	return 0, nil
}

// printFund prints what the fund stream says the fund received and
// allocated, summed as exact decimals from the recorded events.
func printFund(ctx context.Context, w io.Writer, store eventstore.Store, stream string) error {
	events, err := store.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		return fmt.Errorf("read %s: %w", stream, err)
	}
	var received, allocated decimal.Decimal
	lines := 0
	for _, e := range events {
		var p struct {
			Amount string `json:"amount"`
		}
		if err := json.Unmarshal(e.Data, &p); err != nil {
			return fmt.Errorf("%s version %d: %w", stream, e.Version, err)
		}
		var sum *decimal.Decimal
		switch e.Type {
		case "FundsReceived":
			sum = &received
		case "FundsAllocated":
			sum, lines = &allocated, lines+1
		default:
			continue
		}
		amount, err := decimal.NewFromString(p.Amount)
		if err != nil {
			return fmt.Errorf("%s version %d: amount: %w", stream, e.Version, err)
		}
		*sum = sum.Add(amount)
	}
	fmt.Fprintf(w, "%s: received %s yuan, allocated %s to %d budget lines, %s unallocated\n",
		stream, received.StringFixed(2), allocated.StringFixed(2), lines, received.Sub(allocated).StringFixed(2))
	return nil
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
