package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/api/auth"
	"github.com/haixi-hrss/fundledger/domain/calendar"
	"github.com/haixi-hrss/fundledger/domain/money"
	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/role"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
)

// emptyLedger creates an empty embedded ledger in a new directory.
func emptyLedger(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	l, err := datadir.Open(context.Background(), dir, datadir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeJSON writes v as a JSON file in a new directory and returns its path.
func writeJSON(t *testing.T, name string, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// seedWith returns the seed's versions with start-up-2025's amount set.
func seedWith(t *testing.T, amount string) []policy.Version {
	t.Helper()
	versions, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range versions {
		if v.ID == "start-up-2025" {
			su := *v.StartUp
			su.Amount = money.MustParse(amount)
			versions[i].StartUp = &su
		}
	}
	return versions
}

// logHead is the global position of the last event of the ledger in dir.
func logHead(t *testing.T, dir string) uint64 {
	t.Helper()
	store, _, err := openReadOnly(context.Background(), dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var after uint64
	for {
		evs, err := store.ReadAll(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return after
		}
		after = evs[len(evs)-1].Position
	}
}

// TestPolicyPublishSeedThenAmendedSeed runs 'fundledger policy publish' on
// an empty ledger with the seed (21 published), again (21 unchanged), with
// a seed whose start-up-2025 amount was edited (that one published as the
// amendment start-up-2025.r2 naming the changed field, the rest
// unchanged), and again (nothing appended); then list, list --on and show
// read back what was published.
func TestPolicyPublishSeedThenAmendedSeed(t *testing.T) {
	dir := emptyLedger(t)
	addToken(t, filepath.Join(dir, auth.DefaultFile), "admin-haixi-1", role.Administrator, false)
	seed := filepath.Join(t.TempDir(), "policies.json")
	if err := os.WriteFile(seed, policy.SeedJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	publish := func(file string) result {
		return cli(t, "policy", "publish", "--data", dir, "--actor", "admin-haixi-1", "--file", file)
	}
	r := publish(seed)
	r.wantCode(t, exitOK)
	r.wantOut(t, "21 versions: 21 published, 0 amended, 0 unchanged, 0 refused")
	r.wantOut(t, "published  start-up-2025\n")
	head := logHead(t, dir)
	r = publish(seed)
	r.wantCode(t, exitOK)
	r.wantOut(t, "21 versions: 0 published, 0 amended, 21 unchanged, 0 refused")
	if logHead(t, dir) != head {
		t.Fatal("publishing the same seed again appended events")
	}

	amended := writeJSON(t, "policies.json", map[string]any{"versions": seedWith(t, "6000.00")})
	r = publish(amended)
	r.wantCode(t, exitOK)
	r.wantOut(t, "21 versions: 0 published, 1 amended, 20 unchanged, 0 refused")
	r.wantOut(t, "amended    start-up-2025: start-up-2025.r2 supersedes start-up-2025 (startUp.amount)")
	head = logHead(t, dir)
	publish(amended).wantOut(t, "21 versions: 0 published, 0 amended, 21 unchanged, 0 refused")
	if logHead(t, dir) != head {
		t.Fatal("publishing the amended seed again appended events")
	}

	list := cli(t, "policy", "list", "--data", dir, "--programme", "start-up")
	list.wantCode(t, exitOK)
	lines := strings.Split(strings.TrimSpace(list.stdout), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "PROGRAMME") {
		t.Fatalf("list: %q", list.stdout)
	}
	if f := strings.Fields(lines[3]); strings.Join(f, " ") != "start-up start-up-2025 2025-01-01 2025-12-31 - start-up-2025.r2" {
		t.Errorf("start-up-2025 listed as %q", lines[3])
	}
	if f := strings.Fields(lines[4]); strings.Join(f, " ") != "start-up start-up-2025.r2 2025-01-01 2025-12-31 start-up-2025 -" {
		t.Errorf("start-up-2025.r2 listed as %q", lines[4])
	}
	all := cli(t, "policy", "list", "--data", dir)
	if n := strings.Count(all.stdout, "\n"); n != 23 {
		t.Errorf("list of every programme: %d lines, want a header and 22 versions:\n%s", n, all.stdout)
	}
	on := cli(t, "policy", "list", "--data", dir, "--on", "2025-08-01")
	on.wantCode(t, exitOK)
	if strings.Count(on.stdout, "\n") != 8 || !strings.Contains(on.stdout, "\nstart-up             start-up-2025.r2 ") {
		t.Errorf("in force on 2025-08-01:\n%s", on.stdout)
	}

	show := cli(t, "policy", "show", "--data", dir, "start-up-2025.r2")
	show.wantCode(t, exitOK)
	var got published
	if err := json.Unmarshal([]byte(show.stdout), &got); err != nil {
		t.Fatalf("show: %v\n%s", err, show.stdout)
	}
	if got.Version.Supersedes != "start-up-2025" || got.Version.StartUp.Amount.String() != "6000.00" ||
		got.PublishedBy != "admin-haixi-1" || got.Role != "administrator" || got.Stream != "policy-start-up" || got.RecordedAt.IsZero() {
		t.Errorf("show start-up-2025.r2: %+v", got)
	}
	old := cli(t, "policy", "show", "--data", dir, "start-up-2025")
	old.wantOut(t, `"supersededBy": "start-up-2025.r2"`)
	old.wantOut(t, `"amount": "5000.00"`)
}

// TestPolicyPublishWrittenAmendment publishes one version file that names
// what it supersedes: taken when it supersedes the latest word, skipped
// when sent again, refused (exit 1, rule on stderr, log unchanged) when
// it supersedes a version not published or other content has its ID.
func TestPolicyPublishWrittenAmendment(t *testing.T) {
	dir := emptyLedger(t)
	addToken(t, filepath.Join(dir, auth.DefaultFile), "admin-1", role.Administrator, false)
	seed := writeJSON(t, "seed.json", map[string]any{"versions": seedWith(t, "5000.00")})
	cli(t, "policy", "publish", "--data", dir, "--actor", "admin-1", "--file", seed).wantCode(t, exitOK)

	base := seedWith(t, "6500.00")
	var h2 policy.Version
	for _, v := range base {
		if v.ID == "start-up-2025" {
			h2 = v
		}
	}
	h2.ID, h2.Supersedes, h2.EffectiveFrom = "start-up-2025.h2", "start-up-2025", calendar.MustParse("2025-07-01")
	file := writeJSON(t, "h2.json", h2)
	r := cli(t, "policy", "publish", "--data", dir, "--actor", "admin-1", "--file", file)
	r.wantCode(t, exitOK)
	r.wantOut(t, "amended    start-up-2025.h2: start-up-2025.h2 supersedes start-up-2025 (effectiveFrom, startUp.amount)")
	cli(t, "policy", "publish", "--data", dir, "--actor", "admin-1", "--file", file).wantOut(t, "1 versions: 0 published, 0 amended, 1 unchanged, 0 refused")

	head := logHead(t, dir)
	orphan := h2
	orphan.ID, orphan.Supersedes = "start-up-2025.h3", "start-up-2024.h9"
	r = cli(t, "policy", "publish", "--data", dir, "--actor", "admin-1", "--file", writeJSON(t, "h3.json", orphan))
	r.wantCode(t, exitFailure)
	r.wantErr(t, "refused    start-up-2025.h3: ")
	r.wantErr(t, "policy-supersedes-published")
	r.wantOut(t, "1 versions: 0 published, 0 amended, 0 unchanged, 1 refused")

	changed := h2
	changed.Note = "edited after publication"
	r = cli(t, "policy", "publish", "--data", dir, "--actor", "admin-1", "--file", writeJSON(t, "h2b.json", changed))
	r.wantCode(t, exitFailure)
	r.wantErr(t, "policy-version-immutable")
	r.wantErr(t, "(note differ)")
	if logHead(t, dir) != head {
		t.Fatal("a refused publication changed the log")
	}
}

// TestPolicyCommandErrors: usage errors exit 2, a bad file or a missing
// ledger exit 1 with nothing recorded, an unknown ID exits 1.
func TestPolicyCommandErrors(t *testing.T) {
	dir := emptyLedger(t)
	addToken(t, filepath.Join(dir, auth.DefaultFile), "a", role.Administrator, false)
	seed := filepath.Join(t.TempDir(), "policies.json")
	if err := os.WriteFile(seed, policy.SeedJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	cli(t, "policy").wantCode(t, exitUsage)
	cli(t, "policy", "frobnicate").wantCode(t, exitUsage)
	r := cli(t, "policy", "publish", "--data", dir, "--file", seed)
	r.wantCode(t, exitUsage)
	r.wantErr(t, "--actor is required")
	cli(t, "policy", "publish", "--data", dir, "--actor", "a", "--file", seed, "--store", "http://x").wantCode(t, exitUsage)
	cli(t, "policy", "list").wantCode(t, exitUsage)
	cli(t, "policy", "list", "--data", dir, "--on", "2025-13-01").wantCode(t, exitUsage)
	cli(t, "policy", "list", "--data", dir, "--programme", "lottery").wantCode(t, exitUsage)
	cli(t, "policy", "show", "--data", dir).wantCode(t, exitUsage)

	bad := strings.Replace(string(policy.SeedJSON()), `"largeRate"`, `"largeRat"`, 1)
	badFile := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(badFile, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	head := logHead(t, dir)
	r = cli(t, "policy", "publish", "--data", dir, "--actor", "a", "--file", badFile)
	r.wantCode(t, exitFailure)
	r.wantErr(t, "largeRat")
	if logHead(t, dir) != head {
		t.Fatal("a bad file recorded something")
	}
	missing := filepath.Join(t.TempDir(), "nowhere")
	cli(t, "policy", "publish", "--data", missing, "--actor", "a", "--file", seed).wantCode(t, exitFailure)
	if _, err := os.Stat(filepath.Join(missing, "ledger.db")); err == nil {
		t.Error("publish created a ledger where none was")
	}
	r = cli(t, "policy", "show", "--data", dir, "start-up-2025")
	r.wantCode(t, exitFailure)
	r.wantErr(t, `no policy version "start-up-2025" is published`)
	r = cli(t, "policy", "list", "--data", dir)
	r.wantCode(t, exitOK)
	r.wantErr(t, "no policy version is published")
	for _, sub := range []string{"list", "show", "publish"} {
		h := cli(t, "policy", sub, "--help")
		h.wantCode(t, exitOK)
		h.wantOut(t, "Example")
	}
}

// TestPolicyPublishActorMustBeAnAdministrator: an actor with no token, a
// clerk's token only or a revoked administrator token is refused (exit 1,
// the reason on stderr, nothing recorded); an active administrator token
// in the file named by --tokens is accepted.
func TestPolicyPublishActorMustBeAnAdministrator(t *testing.T) {
	dir := emptyLedger(t)
	seed := filepath.Join(t.TempDir(), "policies.json")
	if err := os.WriteFile(seed, policy.SeedJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	tokens := filepath.Join(dir, auth.DefaultFile)
	addToken(t, tokens, "clerk-1", role.Clerk, false)
	addToken(t, tokens, "admin-gone", role.Administrator, true)
	head := logHead(t, dir)
	for _, c := range []struct{ actor, want string }{
		{"nobody", "--actor nobody has no active token"},
		{"clerk-1", "--actor clerk-1 is not a administrator"},
		{"admin-gone", "--actor admin-gone has no active token"},
	} {
		r := cli(t, "policy", "publish", "--data", dir, "--actor", c.actor, "--file", seed)
		r.wantCode(t, exitFailure)
		r.wantErr(t, c.want)
	}
	if logHead(t, dir) != head {
		t.Fatal("a refused actor recorded something")
	}
	other := filepath.Join(t.TempDir(), "tokens.json")
	addToken(t, other, "admin-2", role.Administrator, false)
	cli(t, "policy", "publish", "--data", dir, "--actor", "admin-2", "--tokens", other, "--file", seed).wantCode(t, exitOK)
}
