package projections_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/fund"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/projections"
)

// recorder notes each event Apply is given: its type, and whether the
// payload came decoded (with its Go type) or nil.
type recorder struct {
	name string
	seen []string
}

func (r *recorder) Name() string { return r.name }
func (r *recorder) Reset()       { r.seen = nil }
func (r *recorder) Apply(ev domain.Event, env *eventstore.Event) error {
	r.seen = append(r.seen, fmt.Sprintf("%s:%T", env.Type, ev))
	return nil
}
func (r *recorder) MarshalState() ([]byte, error)    { return json.Marshal(r.seen) }
func (r *recorder) UnmarshalState(data []byte) error { return json.Unmarshal(data, &r.seen) }

// selectiveRecorder wants FundOpened decoded, TransferReceived by its
// envelope, and nothing else.
type selectiveRecorder struct{ recorder }

func (s *selectiveRecorder) Interest(eventType string) projections.Interest {
	switch eventType {
	case "FundOpened":
		return projections.Payload
	case "FundTransferReceived":
		return projections.EnvelopeOnly
	}
	return projections.Ignore
}

// TestSelectiveGetsWhatItAsksFor: a Selective projection is called with
// the decoded event for Payload types, a nil one for EnvelopeOnly types
// and not at all otherwise; an event of a type no projection decodes is
// never decoded, while a projection without Interest still gets every
// event decoded, and so meets the bad payload.
func TestSelectiveGetsWhatItAsksFor(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	w.appendRaw("fund-broken", "FundAllocated", `{"amount":"not money"}`)
	if _, err := w.codec.DecodeData("FundAllocated", 1, []byte(`{"amount":"not money"}`)); err == nil {
		t.Fatal("the broken payload decodes; the test needs one that does not")
	}

	sel := &selectiveRecorder{recorder{name: "sel"}}
	pr, err := projections.Rebuild(w.ctx, w.store, w.codec, nil, sel)
	if err != nil {
		t.Fatalf("the broken FundAllocated was decoded although nothing reads it: %v", err)
	}
	want := []string{"FundOpened:*fund.Opened", "FundTransferReceived:<nil>", "FundTransferReceived:<nil>"}
	if !slices.Equal(sel.seen, want) {
		t.Errorf("selective projection saw %v, want %v", sel.seen, want)
	}
	// Applied counts what the projections were offered, as before: every
	// known type outside the ledger's record streams.
	var offered int
	for _, ev := range w.log(0) {
		if _, known := w.codec.Version(ev.Type); known && !strings.HasPrefix(ev.Stream, "idem-") && !strings.HasPrefix(ev.Stream, "uniq-") {
			offered++
		}
	}
	if pr.Applied != offered || pr.Events != len(w.log(0)) {
		t.Errorf("progress %+v, want %d applied of %d", pr, offered, len(w.log(0)))
	}

	plain := &recorder{name: "plain"}
	_, err = projections.Rebuild(w.ctx, w.store, w.codec, nil, &selectiveRecorder{recorder{name: "sel"}}, plain)
	if err == nil || !strings.Contains(err.Error(), "fund-broken") {
		t.Fatalf("with a projection that decodes everything: %v, want the broken payload's error", err)
	}
	for _, s := range plain.seen {
		if strings.HasSuffix(s, ":<nil>") {
			t.Errorf("a projection without Interest got a nil event: %s", s)
		}
	}
}

// TestDecodeErrorStopsAtItsEvent: events read and decoded ahead of the
// projections are applied up to the one that does not decode and no
// further, even when later ones decode.
func TestDecodeErrorStopsAtItsEvent(t *testing.T) {
	w := newWorld(t)
	w.phaseOne()
	w.appendRaw("fund-broken", "FundAllocated", `{"amount":"not money"}`)
	bad := w.log(0)[len(w.log(0))-1].Position
	w.phaseTwo()
	plain := &recorder{name: "plain"}
	pr, err := projections.Rebuild(w.ctx, w.store, w.codec, nil, plain)
	if err == nil {
		t.Fatal("the broken payload was accepted")
	}
	if pr.Position != bad-1 {
		t.Errorf("stopped at position %d, want %d (just before the broken event)", pr.Position, bad-1)
	}
	if n := len(plain.seen); n >= int(bad) {
		t.Errorf("%d events applied, the broken one is at %d", n, bad)
	}
}

// TestBuiltInProjectionsDecodeTheirOwnTypes: the package's read models
// ask for the payloads of the aggregates they fold and for nothing
// they do not read.
func TestBuiltInProjectionsDecodeTheirOwnTypes(t *testing.T) {
	for _, tc := range []struct {
		p    projections.Selective
		typ  string
		want projections.Interest
	}{
		{projections.NewBudgets(), fund.Allocated{}.EventType(), projections.Payload},
		{projections.NewBudgets(), "ClaimSubmitted", projections.Ignore},
		{projections.NewClaims(), "ClaimSubmitted", projections.Payload},
		{projections.NewClaims(), "FundsReserved", projections.Ignore},
		{projections.NewTrail(), "FundsReserved", projections.Payload},
		{projections.NewTrail(), "EmployerMonthReported", projections.EnvelopeOnly},
		{projections.NewPaymentBatches(), "ClaimSubmitted", projections.Ignore},
	} {
		if got := tc.p.Interest(tc.typ); got != tc.want {
			t.Errorf("%T.Interest(%s) = %d, want %d", tc.p, tc.typ, got, tc.want)
		}
	}
}
