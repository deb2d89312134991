package api_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/persondata"
)

const personName = "马晓丽"

// dataFilesHold reports the first file of data directory dir whose bytes
// hold any of secrets: the event store, its WAL, the read models'
// snapshot, the tokens and persondata.db (which keeps only ciphertext).
func dataFilesHold(t *testing.T, dir string, secrets ...string) string {
	t.Helper()
	found := ""
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				found = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestPersonLifecycle drives invariant 13 through HTTP: a clerk registers
// a person and files a claim about them by resident ID; an approver
// reveals the identity, which is recorded in the log first and answered
// uncacheable; no file of the data directory and no log line holds the
// plaintext; an administrator erases the person, after which a reveal is
// refused, the person cannot be registered or claimed for again, the
// money reads as before and the log still verifies.
func TestPersonLifecycle(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	var reg api.PersonView
	res := h.must(http.StatusCreated, req{method: "POST", path: "/v1/people", as: "clerk", body: map[string]any{"residentId": residentID, "name": personName}})
	res.decode(t, &reg)
	if len(reg.Person) != 64 || reg.Masked != "6328**********1230" || res.header.Get("Location") != "" {
		t.Fatalf("register answered %s (Location %q)", res.body, res.header.Get("Location"))
	}
	if bytes.Contains(res.body, []byte(residentID[:17])) || bytes.Contains(res.body, []byte(personName)) {
		t.Fatalf("register echoes the identity: %s", res.body)
	}
	// The claim carries the resident ID: it names the registered person
	// by the same reference, and registering again without a name keeps
	// the name.
	h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: expansionClaim(t, "exp-p")})
	claimEvents, err := h.l.Store.ReadStream(context.Background(), "claim-exp-p", 0, 0)
	if err != nil || len(claimEvents) == 0 || !bytes.Contains(claimEvents[0].Data, []byte(reg.Person)) {
		t.Fatalf("the claim does not name the registered person %s (err %v)", reg.Person, err)
	}

	reveal := func(as, reason string, header map[string]string) response {
		return h.do(req{method: "POST", path: "/v1/people/" + string(reg.Person) + "/reveal", as: as, body: map[string]any{"reason": reason}, header: header})
	}
	before := h.head()
	for _, refused := range []struct {
		name, as, reason string
		status           int
		field, rule      string
	}{
		{"no reason", "approver", " ", 422, "reason", "required"},
		{"an ID in the reason", "approver", "call about " + residentID, 422, "reason", "no-identifier"},
		{"an evaluator", "evaluator", "curiosity", 403, "role", "role"},
		{"an administrator", "admin", "curiosity", 403, "role", "role"},
	} {
		res := reveal(refused.as, refused.reason, nil)
		if res.status != refused.status {
			t.Fatalf("%s: status %d, want %d: %s", refused.name, res.status, refused.status, res.body)
		}
		if p := res.problem(t); p.Field != refused.field || p.Rule != refused.rule {
			t.Errorf("%s: problem %+v, want field %s rule %s", refused.name, p, refused.field, refused.rule)
		}
		if bytes.Contains(res.body, []byte(residentID[:17])) {
			t.Errorf("%s: the problem echoes the ID: %s", refused.name, res.body)
		}
	}
	if after := h.head(); after != before {
		t.Fatalf("refused reveals changed the log: head %d → %d", before, after)
	}

	key := map[string]string{"Idempotency-Key": "reveal-complaint-117"}
	res = reveal("approver", "complaint 2025-117 about claim exp-p", key)
	if res.status != http.StatusOK {
		t.Fatalf("reveal: status %d: %s", res.status, res.body)
	}
	var who api.RevealedPerson
	res.decode(t, &who)
	if who.Person != reg.Person || who.ResidentID != residentID || who.Name != personName || who.Masked != reg.Masked {
		t.Fatalf("revealed %+v", who)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	if again := reveal("approver", "complaint 2025-117 about claim exp-p", key); again.status != http.StatusOK {
		t.Fatalf("retried reveal: status %d: %s", again.status, again.body)
	}
	reveals, err := h.l.Store.ReadStream(context.Background(), persondata.RevealStream(reg.Person), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(reveals) != 1 || reveals[0].Type != "IdentityRevealed" || reveals[0].Metadata.Actor != "wang.approver" || reveals[0].Metadata.Role != "approver" ||
		!bytes.Contains(reveals[0].Data, []byte("complaint 2025-117")) {
		t.Fatalf("reveal stream: %d events, first %+v", len(reveals), reveals)
	}

	if f := dataFilesHold(t, h.l.Dir, residentID[:17], personName); f != "" {
		t.Fatalf("%s holds the plaintext identity", f)
	}
	if logs := h.logs.String(); strings.Contains(logs, residentID[:17]) || strings.Contains(logs, personName) || logs == "" {
		t.Fatalf("the slog output holds the identity, or nothing was logged: %q", logs)
	}

	line := "/v1/budget-lines/" + lineOf(programme.Expansion)
	money := h.must(http.StatusOK, req{method: "GET", path: line, as: "auditor"}).body
	erasure := "/v1/people/" + string(reg.Person) + "/erasure"
	// An erasure needs a reason, recorded in the log; without one nothing
	// is recorded or destroyed.
	before = h.head()
	for _, r := range []req{{method: "POST", path: erasure, as: "admin"}, {method: "POST", path: erasure, as: "admin", body: map[string]any{"reason": " "}}} {
		res := h.do(r)
		if p := res.problem(t); res.status != http.StatusUnprocessableEntity || p.Field != "reason" || p.Rule != "required" {
			t.Errorf("erasure without a reason: status %d, problem %+v; want 422 reason/required", res.status, p)
		}
	}
	if res := h.do(req{method: "POST", path: erasure, as: "clerk", body: map[string]any{"reason": "request"}}); res.status != http.StatusForbidden {
		t.Errorf("erasure by a clerk: status %d, want 403", res.status)
	}
	if after := h.head(); after != before {
		t.Fatalf("refused erasures changed the log: head %d → %d", before, after)
	}
	if res := reveal("auditor", "audit 2025-8 of claim exp-p", nil); res.status != http.StatusOK {
		t.Fatalf("reveal after refused erasures: status %d: %s", res.status, res.body)
	}
	const why = "deletion request of 2025-03-10 under PIPL"
	var erased api.ErasureView
	h.must(http.StatusOK, req{method: "POST", path: erasure, as: "admin", body: map[string]any{"reason": why}}).decode(t, &erased)
	if !erased.Erased || erased.Person != reg.Person {
		t.Fatalf("erasure answered %+v", erased)
	}
	h.must(http.StatusOK, req{method: "POST", path: erasure, as: "admin", body: map[string]any{"reason": "repeat"}})
	erasures, err := h.l.Store.ReadStream(context.Background(), persondata.ErasureStream(reg.Person), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(erasures) != 1 || erasures[0].Type != "IdentityErased" || erasures[0].Metadata.Role != "administrator" || erasures[0].Metadata.Actor == "" ||
		!bytes.Contains(erasures[0].Data, []byte(why)) || !bytes.Contains(erasures[0].Data, []byte(reg.Person)) {
		t.Fatalf("erasure stream: %d events, first %+v", len(erasures), erasures)
	}
	if f := dataFilesHold(t, h.l.Dir, residentID[:17], personName); f != "" {
		t.Fatalf("after the erasure %s holds the plaintext identity", f)
	}

	before = h.head()
	res = reveal("auditor", "audit 2025-9 of claim exp-p", nil)
	if p := res.problem(t); res.status != http.StatusNotFound || p.Rule != "erased" || p.Field != "person" {
		t.Errorf("reveal after erasure: status %d, problem %+v; want 404 erased", res.status, p)
	}
	res = h.do(req{method: "POST", path: "/v1/people", as: "clerk", body: map[string]any{"residentId": residentID, "name": personName}})
	if p := res.problem(t); res.status != http.StatusConflict || p.Rule != "person-erased" || p.Field != "residentId" {
		t.Errorf("register after erasure: status %d, problem %+v; want 409 person-erased", res.status, p)
	}
	res = h.do(req{method: "POST", path: "/v1/claims/one-time-absorption", as: "clerk", body: oneTimeClaim(t, "ota-p", residentID)})
	if p := res.problem(t); res.status != http.StatusConflict || p.Rule != "person-erased" {
		t.Errorf("claim about an erased person: status %d, problem %+v; want 409 person-erased", res.status, p)
	}
	if after := h.head(); after != before {
		t.Errorf("refusals after erasure changed the log: head %d → %d", before, after)
	}
	if now := h.must(http.StatusOK, req{method: "GET", path: line, as: "auditor"}).body; !bytes.Equal(now, money) {
		t.Errorf("the budget line changed with the erasure:\n%s\n%s", money, now)
	}
	var v api.Verification
	h.must(http.StatusOK, req{method: "GET", path: "/v1/audit/verify", as: "auditor"}).decode(t, &v)
	if !v.OK || v.Events == 0 {
		t.Errorf("verify after erasure: %+v", v)
	}
}

// TestPersonRequestsRefused: malformed references, unknown people, and a
// server without the ledger secret, which keeps no personal data at all.
func TestPersonRequestsRefused(t *testing.T) {
	h := newHarness(t)
	before := h.head()
	for _, c := range []struct {
		name        string
		r           req
		status      int
		field, rule string
	}{
		{"reference not hex", req{method: "POST", path: "/v1/people/" + strings.Repeat("z", 64) + "/reveal", as: "auditor", body: map[string]any{"reason": "audit"}}, 400, "person", "person-ref"},
		{"reference too short", req{method: "POST", path: "/v1/people/abc/erasure", as: "admin"}, 400, "person", "person-ref"},
		{"unknown person", req{method: "POST", path: "/v1/people/" + strings.Repeat("ab", 32) + "/reveal", as: "auditor", body: map[string]any{"reason": "audit"}}, 404, "person", "exists"},
		{"reveal without body", req{method: "POST", path: "/v1/people/" + strings.Repeat("ab", 32) + "/reveal", as: "auditor"}, 415, "Content-Type", "content-type"},
	} {
		res := h.do(c.r)
		if res.status != c.status {
			t.Fatalf("%s: status %d, want %d: %s", c.name, res.status, c.status, res.body)
		}
		if p := res.problem(t); p.Field != c.field || p.Rule != c.rule {
			t.Errorf("%s: problem %+v, want %s/%s", c.name, p, c.field, c.rule)
		}
	}
	if after := h.head(); after != before {
		t.Fatalf("refusals changed the log: head %d → %d", before, after)
	}

	bare := newHarnessWith(t, func(c *api.Config) { c.Persons = nil })
	res := bare.do(req{method: "POST", path: "/v1/people", as: "clerk", body: map[string]any{"residentId": residentID}})
	if p := res.problem(t); res.status != http.StatusUnprocessableEntity || p.Rule != "ledger-secret" {
		t.Errorf("register without a secret: status %d, problem %+v", res.status, p)
	}
	if _, err := os.Stat(filepath.Join(bare.l.Dir, persondata.FileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a server without a secret created %s: %v", persondata.FileName, err)
	}
}
