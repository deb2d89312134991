package ledger_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/ledger"
)

func TestFingerprintIgnoresEncodingAndTransportIDs(t *testing.T) {
	type payload struct {
		Amount string `json:"amount"`
		Person string `json:"person"`
	}
	base := ledger.Command{
		ID: uuid.New(), Name: "SubmitClaim", Actor: "clerk-1", Role: "clerk",
		EffectiveDate: "2025-03-01", PolicyVersion: "p1",
		Payload: payload{Amount: "1500.00", Person: "p"},
	}
	want, err := ledger.Fingerprint("claim-1", &base)
	if err != nil {
		t.Fatal(err)
	}
	// The same input as a map (other key order) and from a retry with new
	// command, correlation and causation IDs has the same fingerprint.
	same := base
	same.ID, same.CorrelationID, same.CausationID = uuid.New(), "req-2", "ev-9"
	same.Payload = map[string]any{"person": "p", "amount": "1500.00"}
	if got, err := ledger.Fingerprint("claim-1", &same); err != nil || got != want {
		t.Errorf("same input: fingerprint %s (%v), want %s", got, err, want)
	}

	differs := map[string]func(c *ledger.Command) string{
		"payload":        func(c *ledger.Command) string { c.Payload = payload{Amount: "1500.01", Person: "p"}; return "claim-1" },
		"stream":         func(*ledger.Command) string { return "claim-2" },
		"name":           func(c *ledger.Command) string { c.Name = "ApproveClaim"; return "claim-1" },
		"actor":          func(c *ledger.Command) string { c.Actor = "clerk-2"; return "claim-1" },
		"role":           func(c *ledger.Command) string { c.Role = "approver"; return "claim-1" },
		"effective date": func(c *ledger.Command) string { c.EffectiveDate = "2025-03-02"; return "claim-1" },
		"policy version": func(c *ledger.Command) string { c.PolicyVersion = "p2"; return "claim-1" },
	}
	for name, change := range differs {
		c := base
		stream := change(&c)
		got, err := ledger.Fingerprint(stream, &c)
		if err != nil {
			t.Fatal(err)
		}
		if got == want {
			t.Errorf("a different %s gives the same fingerprint", name)
		}
	}
	bad := base
	bad.Payload = func() {}
	if _, err := ledger.Fingerprint("claim-1", &bad); err == nil {
		t.Error("an unencodable payload was fingerprinted")
	}
}

func TestEventIDIsDeterministicAndDistinct(t *testing.T) {
	cmd := uuid.MustParse("0190f5a2-7c1e-7d3a-9b1c-2f4e6a8b0c1d")
	// Pinned: a changed namespace or layout would make retries of commands
	// issued before the change unrecognisable.
	if got, want := ledger.EventID(cmd, "claim-1", 0).String(), "e3f3b569-91cc-5699-9e1f-fb0a4396d384"; got != want {
		t.Errorf("EventID = %s, want %s", got, want)
	}
	seen := map[uuid.UUID]string{}
	for _, c := range []uuid.UUID{cmd, uuid.MustParse("0190f5a2-7c1e-7d3a-9b1c-2f4e6a8b0c1e")} {
		for _, stream := range []string{"claim-1", "claim-10", "claim-"} {
			for i := range 12 {
				id := ledger.EventID(c, stream, i)
				if id != ledger.EventID(c, stream, i) {
					t.Fatal("EventID is not deterministic")
				}
				if id.Version() != 5 {
					t.Errorf("EventID version %d, want 5 (SHA-1 name based)", id.Version())
				}
				key := c.String() + "/" + stream + "/" + string(rune('a'+i))
				if prev, dup := seen[id]; dup {
					t.Errorf("EventID collision between %s and %s", prev, key)
				}
				seen[id] = key
			}
		}
	}
}

func TestIdempotencyStreamHidesTheKey(t *testing.T) {
	s := ledger.IdempotencyStream("client-key-123")
	if !strings.HasPrefix(s, "idem-") || strings.Contains(s, "client-key-123") || len(s) != len("idem-")+64 {
		t.Errorf("IdempotencyStream = %q", s)
	}
	if s == ledger.IdempotencyStream("client-key-124") {
		t.Error("two keys share a stream")
	}
}

func TestCommandValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		cmd   ledger.Command
		field string
	}{
		"nil ID":   {ledger.Command{Name: "X"}, "commandId"},
		"long key": {ledger.Command{ID: uuid.New(), IdempotencyKey: strings.Repeat("k", 256)}, "idempotencyKey"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ledger.Handle(t.Context(), nil, counterAggregate("counter-v"), tc.cmd, increment(1))
			var fe *domain.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("err = %v, want a FieldError on %s", err, tc.field)
			}
		})
	}
}
