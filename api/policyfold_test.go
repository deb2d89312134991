package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/api"
	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// checkedPolicy is the policy version the check event of a claim's
// submission recorded.
func checkedPolicy(t *testing.T, res response) string {
	t.Helper()
	var body api.CommandResponse
	res.decode(t, &body)
	for _, ev := range body.Events {
		if ev.Type != "ClaimChecked" {
			continue
		}
		raw, err := json.Marshal(ev.Data)
		if err != nil {
			t.Fatal(err)
		}
		var data struct {
			Terms struct {
				PolicyVersion string `json:"policyVersion"`
			} `json:"terms"`
		}
		if err := json.Unmarshal(raw, &data); err != nil {
			t.Fatal(err)
		}
		return data.Terms.PolicyVersion
	}
	t.Fatalf("no ClaimChecked event in %s", res.body)
	return ""
}

// TestClaimUsesPolicyPublishedByAnotherWriter: the API keeps each
// programme's policy stream folded between claims, yet a version that
// another writer of the same data directory (here a second store, as
// `fundledger policy publish` opens beside a running server) published
// before a claim is submitted is the version that claim is assessed and
// recorded under.
func TestClaimUsesPolicyPublishedByAnotherWriter(t *testing.T) {
	h := newHarness(t)
	h.setUp()
	first := h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: expansionClaim(t, "exp-before")})
	current := checkedPolicy(t, first)
	if current == "" {
		t.Fatal("the first claim recorded no policy version")
	}

	ctx := context.Background()
	store, _, err := datadir.OpenStore(ctx, h.l.Dir, datadir.StoreOptions{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var in policy.Version
	vs, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.ID == current {
			in = v
		}
	}
	if in.ID == "" || in.Programme != programme.Expansion {
		t.Fatalf("the claim's policy %q is no expansion version of the seed", current)
	}
	amended := in
	amended.ID, amended.Supersedes, amended.EffectiveFrom = current+".mar", current, calendar.MustParse("2025-03-01")
	cmd := policy.PublishVersion{Version: amended, Actor: "zhang.admin", Role: role.Administrator, At: testNow}
	env := ledger.Command{ID: uuid.New(), Name: "PublishPolicyVersion", Actor: cmd.Actor, Role: cmd.Role,
		EffectiveDate: amended.EffectiveFrom.String(), Payload: cmd}
	res, err := ledger.Handle(ctx, ledger.New(store, schema.Codec()), schema.Policy(programme.Expansion), env,
		func(s policy.State) ([]domain.Event, error) { return policy.Decide(s, cmd) })
	if err != nil || len(res.Events) != 1 {
		t.Fatalf("publishing %s beside the server: %+v, %v", amended.ID, res, err)
	}

	// Another person, whose claim of 15 March falls in the amendment's time.
	after := h.must(http.StatusCreated, req{method: "POST", path: "/v1/claims/expansion", as: "clerk", body: with(expansionClaim(t, "exp-after"), "residentId", resident(t, 7))})
	if got := checkedPolicy(t, after); got != amended.ID {
		t.Fatalf("a claim submitted after %s was published is checked under %s", amended.ID, got)
	}
}
