package haixi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// policies publishes every version of the seed file (2023–2025), each as
// its own command, so the ledger holds the rules of every year a claim or a
// refund's base year may need. Each is a revision: a ledger that published
// an older seed gets the changed versions as amendments. The step names the
// content, so a revised version is a new command, not a reused key.
func (r *run) policies(ctx context.Context) error {
	versions, err := policy.Seed()
	if err != nil {
		return err
	}
	on := QuarterStart.AddDays(1)
	for _, v := range versions {
		content, err := json.Marshal(v)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(content)
		revise := policy.ReviseVersion{Version: v, Actor: Administrator, Role: role.Administrator, At: at(on)}
		env := envelope("policy/"+v.ID+"/"+hex.EncodeToString(sum[:8]), Administrator, role.Administrator, on, v.ID)
		if _, err := handle(ctx, r, schema.Policy(v.Programme), env, "RevisePolicyVersion", revise,
			func(s policy.State) ([]domain.Event, error) { return policy.Decide(s, revise) }); err != nil {
			return err
		}
	}
	return nil
}

// policyOn returns the version of programme p in force on d, as the
// ledger's policy stream holds it: claims are assessed under what was
// published, not under the seed file.
func (r *run) policyOn(ctx context.Context, p programme.Code, d calendar.Date) (policy.Version, error) {
	if r.versions == nil {
		r.versions = map[programme.Code][]policy.Version{}
	}
	if _, ok := r.versions[p]; !ok {
		s, err := Fold(ctx, r.l, schema.Policy(p))
		if err != nil {
			return policy.Version{}, err
		}
		r.versions[p] = s.Versions
	}
	return policy.Select(r.versions[p], p, d)
}
