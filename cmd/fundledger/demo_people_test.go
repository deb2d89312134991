package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/identity"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/persondata"
	"github.com/haixi-hrss/fundledger/projections"
)

// The lines of the demo's output the check below follows: the server to
// start, and the auditor's reveal and its record.
var (
	serveLine       = regexp.MustCompile(`(?m)^  fundledger serve (.+)$`)
	revealLine      = regexp.MustCompile(`(?m)^  curl -s -H "Authorization: Bearer (\S+)" -H 'Content-Type: application/json' -d '(\{[^']+\})' 'http://127\.0\.0\.1:8080(/v1/people/[0-9a-f]{64}/reveal)'$`)
	revealTrailLine = regexp.MustCompile(`(?m)^  curl -s -H "Authorization: Bearer (\S+)" 'http://127\.0\.0\.1:8080(/v1/audit/streams/reveal-[0-9a-f]{64}/events)'$`)
)

// checkPeopleAreRegistered: every person a claim of the demo ledger in dir
// names, as beneficiary or in a uniqueness key, has an identity in the
// person register: a valid resident ID of a Haixi county whose reference
// is the one the log holds, and a name. Only the stabilization refunds,
// paid to employers for their whole workforce, name no one. Each look is
// made as an auditor, as the API would, and so is recorded.
func checkPeopleAreRegistered(t *testing.T, dir string) {
	ctx := context.Background()
	l := openDemo(t, dir)
	people, err := demoPeople(l)
	if err != nil {
		t.Fatal(err)
	}
	var rows []projections.ClaimRow
	l.Runner.Read(func(uint64) { rows = l.Views.Claims.Find(projections.ClaimFilter{}) })
	refs := map[identity.PersonRef]bool{}
	for _, r := range rows {
		evs := claimEvents(t, l, r.ID)
		sub, ok := evs[0].(*claim.Submitted)
		if !ok {
			t.Fatalf("claim %s begins with %s", r.ID, evs[0].EventType())
		}
		named := personsNamed(sub)
		if len(named) == 0 && sub.Programme != programme.Stabilization {
			t.Errorf("claim %s (%s) names no person", r.ID, sub.Programme)
		}
		for _, ref := range named {
			refs[ref] = true
		}
	}
	if len(refs) < 50 {
		t.Fatalf("the claims name %d people; the demo has over 60", len(refs))
	}
	names := map[string]bool{}
	for ref := range refs {
		who, err := people.Reveal(ctx, l.Service, persondata.Reveal{Person: ref, Reason: "demo test: is everyone registered",
			Actor: "auditor-haixi-1", Role: role.Auditor, At: time.Now()}, ledger.Command{ID: uuid.New(), Actor: "auditor-haixi-1", Role: role.Auditor})
		if err != nil {
			t.Fatalf("person %s: %v", ref, err)
		}
		if people.Ref(who.ResidentID) != ref || !strings.HasPrefix(who.ResidentID.AreaCode(), "6328") || who.Name == "" {
			t.Errorf("person %s is registered as %s (area %s), named %q", ref, who.ResidentID, who.ResidentID.AreaCode(), who.Name)
		}
		names[who.Name] = true
	}
	if len(names) < len(refs)/3 {
		t.Errorf("%d people share %d names", len(refs), len(names))
	}
}

// personsNamed lists the people claim sub names: its beneficiary, if a
// person, and those whose reference begins a uniqueness key.
func personsNamed(sub *claim.Submitted) []identity.PersonRef {
	var out []identity.PersonRef
	if sub.Beneficiary.Kind == claim.Person {
		out = append(out, identity.PersonRef(sub.Beneficiary.Ref))
	}
	for _, k := range sub.UniquenessKeys {
		if len(k.Value) < 64 {
			continue
		}
		if ref, err := identity.ParsePersonRef("key", k.Value[:64]); err == nil {
			out = append(out, ref)
		}
	}
	return out
}

// checkTheServerRevealsWhatTheDemoSays starts the server exactly as the
// demo's output says (on a free port), sends the auditor's reveal it
// prints, and gets the identity of the person paid on the claim clawed
// back for fraud, marked no-store; then the record the demo says the
// reveal leaves is in the log, naming the auditor and the reason.
func checkTheServerRevealsWhatTheDemoSays(t *testing.T, out string) {
	m := serveLine.FindStringSubmatch(out)
	reveal := revealLine.FindStringSubmatch(out)
	trail := revealTrailLine.FindStringSubmatch(out)
	if m == nil || reveal == nil || trail == nil {
		t.Fatalf("no serve line, auditor reveal or its record in:\n%s", out)
	}
	args := append([]string{"serve"}, strings.Fields(m[1])...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := &servedLedger{cancel: cancel, done: make(chan int, 1), stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	go func() { srv.done <- run(ctx, append(args, "--addr", "127.0.0.1:0"), srv.stdout, srv.stderr) }()
	for deadline := time.Now().Add(20 * time.Second); srv.base == ""; time.Sleep(5 * time.Millisecond) {
		if l := listeningLine.FindStringSubmatch(srv.stdout.String()); l != nil {
			srv.base = "http://" + l[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v did not listen:\n%s", args, srv.stderr.String())
		}
	}
	defer srv.stop(t)

	req, err := http.NewRequest(http.MethodPost, srv.base+reveal[3], strings.NewReader(reveal[2]))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+reveal[1])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the printed reveal answered %d, Cache-Control %q: %s", resp.StatusCode, resp.Header.Get("Cache-Control"), body)
	}
	var who struct{ Person, ResidentID, Name string }
	if err := json.Unmarshal(body, &who); err != nil {
		t.Fatal(err)
	}
	id, err := identity.ParseResidentID("residentId", who.ResidentID)
	if err != nil || !strings.HasPrefix(id.AreaCode(), "6328") || who.Name == "" || !strings.Contains(reveal[3], who.Person) {
		t.Fatalf("revealed %s (%v), named %q", body, err, who.Name)
	}

	code, events := request(t, http.MethodGet, srv.base+trail[2], trail[1], "")
	var reason struct{ Reason string }
	if err := json.Unmarshal([]byte(reveal[2]), &reason); err != nil {
		t.Fatal(err)
	}
	if code != http.StatusOK || !strings.Contains(events, `"type":"IdentityRevealed"`) ||
		!strings.Contains(events, `"actor":"auditor-haixi-1"`) || !strings.Contains(events, reason.Reason) {
		t.Fatalf("the reveal's record: %d %s", code, events)
	}
	if strings.Contains(events, who.ResidentID) || strings.Contains(srv.stderr.String(), who.ResidentID) {
		t.Fatal("the resident ID revealed is in the log or the server's log")
	}
}
