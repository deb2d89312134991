package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

const policyPublishHelp = `
Publishes policy versions as the administrator --actor, who must hold an
active administrator token in the tokens file (--tokens, default
DIR/tokens.json, managed with 'fundledger tokens'). The file is either
a seed file, {"versions": [ ... ]} like domain/policy/seed/policies.json,
or one version. It is checked as the seed is (policy.Load: unknown fields,
every parameter, the "verify" paths, no overlap within the file) before
anything is recorded.

Each version is its own command, so the file may be published again
after any edit:

  - a version whose ID is not published is published;
  - one identical to the latest word under its ID (the version itself or
    its newest amendment) is skipped;
  - a changed one is published as the amendment ID.r2 (then .r3, ...)
    superseding the latest, with the changed fields listed
    (policy.ReviseVersion); the published version never changes;
  - a version that names "supersedes" itself is an amendment you have
    written: it is published as it is, or skipped if already published,
    and refused if other content has its ID.

A line per version goes to stdout, then a summary. A refused version is
reported on stderr with the rule and the others are still published; the
command then exits 1. The ledger must exist (serve or demo creates it).

Examples:
  fundledger tokens create --data /var/lib/fundledger --principal admin-haixi-1 --role administrator   # once
  fundledger policy publish --data /var/lib/fundledger --actor admin-haixi-1 \
      --file domain/policy/seed/policies.json
  fundledger policy publish --data /var/lib/fundledger --actor admin-haixi-1 --file start-up-2025.h2.json`

func runPolicyPublish(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("policy publish", "policy publish --data DIR [--store URL] --file F.json --actor NAME [--tokens FILE]", policyPublishHelp)
	dir := fs.String("data", "", "the ledger's data `directory` (required)")
	storeURL := storeFlag(fs, "holding the events; the data directory then keeps only the read models' snapshot")
	file := fs.String("file", "", "the seed or version `file` (required)")
	actor := fs.String("actor", "", "the administrator's `name` recorded as publishing, a principal with an active administrator token in the tokens file (required)")
	tokens := fs.String("tokens", "", "the tokens `file` the actor must be an administrator in (default DIR/tokens.json)")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	for _, req := range []struct{ name, value string }{{"data", *dir}, {"file", *file}, {"actor", *actor}} {
		if strings.TrimSpace(req.value) == "" {
			return usageError(fs, stderr, "--"+req.name+" is required")
		}
	}
	if *tokens == "" {
		*tokens = tokensPath(*dir)
	}
	if err := holdsRole(*tokens, *actor, role.Administrator, "publishing policy"); err != nil {
		fmt.Fprintf(stderr, "fundledger policy publish: %v\n", err)
		return exitFailure
	}
	versions, err := readPolicyFile(*file)
	if err != nil {
		fmt.Fprintf(stderr, "fundledger policy publish: %s: %v\n", *file, err)
		return exitFailure
	}
	l, code, ok := openExisting(ctx, fs, *dir, *storeURL, stderr)
	if !ok {
		return code
	}
	defer l.Close()

	var sum publishSummary
	for _, v := range versions {
		out, err := publishVersion(ctx, l.Service, v, *actor, time.Now())
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) && !errors.Is(err, domain.ErrRejected) {
				fmt.Fprintf(stderr, "fundledger policy publish: %s: %v\n", v.ID, err)
				sum.print(stdout, len(versions))
				fmt.Fprintln(stderr, "what was published stays; publish the same file again to complete it")
				return exitFailure
			}
			sum.refused++
			fmt.Fprintf(stderr, "refused    %s: %v\n", v.ID, err)
			continue
		}
		sum.count(out)
		fmt.Fprintln(stdout, out.line(v.ID))
	}
	sum.print(stdout, len(versions))
	if sum.refused > 0 {
		return exitFailure
	}
	return exitOK
}

// readPolicyFile reads a seed file or a single version, checked by
// policy.Load either way. Load checks a file as a history of its own, so
// a single version is loaded without its "supersedes", which names a
// version in the ledger, not in the file; the ledger checks that.
func readPolicyFile(path string) ([]policy.Version, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if _, seed := top["versions"]; seed {
		return policy.Load(data)
	}
	var supersedes string
	if raw, ok := top["supersedes"]; ok {
		if err := json.Unmarshal(raw, &supersedes); err != nil {
			return nil, fmt.Errorf("supersedes: %w", err)
		}
		delete(top, "supersedes")
	}
	one, err := json.Marshal(map[string]any{"versions": []any{top}})
	if err != nil {
		return nil, err
	}
	versions, err := policy.Load(one)
	if err != nil {
		return nil, err
	}
	versions[0].Supersedes = supersedes
	return versions, nil
}

// publishOutcome is what publishing one version did.
type publishOutcome struct {
	// appended is the version appended; empty when skipped.
	appended policy.Version
	// changed lists the fields an amendment changed against the version
	// it supersedes.
	changed []string
}

func (o publishOutcome) line(id string) string {
	switch {
	case o.appended.ID == "":
		return "unchanged  " + id
	case o.appended.Supersedes != "":
		return fmt.Sprintf("amended    %s: %s supersedes %s (%s)", id, o.appended.ID, o.appended.Supersedes, strings.Join(o.changed, ", "))
	}
	return "published  " + id
}

// publishVersion publishes v as actor: through ReviseVersion, or as the
// amendment it is when it names the version it supersedes.
func publishVersion(ctx context.Context, svc *ledger.Service, v policy.Version, actor string, at time.Time) (publishOutcome, error) {
	var cmd policy.Command = policy.ReviseVersion{Version: v, Actor: actor, Role: role.Administrator, At: at}
	name := "RevisePolicyVersion"
	if v.Supersedes != "" {
		cmd = policy.PublishVersion{Version: v, Actor: actor, Role: role.Administrator, At: at}
		name = "PublishPolicyVersion"
	}
	// A fresh command ID: re-running is harmless because both commands
	// decide nothing for content already published.
	env := ledger.Command{ID: uuid.New(), Name: name, Actor: actor, Role: role.Administrator,
		EffectiveDate: v.EffectiveFrom.String(), Payload: cmd}
	var before policy.State
	res, err := ledger.Handle(ctx, svc, schema.Policy(v.Programme), env, func(s policy.State) ([]domain.Event, error) {
		before = s
		return policy.Decide(s, cmd)
	})
	if err != nil || len(res.Events) == 0 {
		return publishOutcome{}, err
	}
	e, ok := res.Events[0].(policy.PolicyVersionPublished)
	if !ok {
		return publishOutcome{}, fmt.Errorf("policy %s: unexpected event %s", v.ID, res.Events[0].EventType())
	}
	out := publishOutcome{appended: e.Version}
	for _, w := range before.Versions {
		if w.ID == e.Version.Supersedes {
			out.changed = policy.Differences(w, e.Version)
		}
	}
	return out, nil
}

// publishSummary counts what a publish run did.
type publishSummary struct {
	published, amended, unchanged, refused int
}

func (s *publishSummary) count(o publishOutcome) {
	switch {
	case o.appended.ID == "":
		s.unchanged++
	case o.appended.Supersedes != "":
		s.amended++
	default:
		s.published++
	}
}

func (s *publishSummary) print(w io.Writer, total int) {
	fmt.Fprintf(w, "%d versions: %d published, %d amended, %d unchanged, %d refused\n",
		total, s.published, s.amended, s.unchanged, s.refused)
}
