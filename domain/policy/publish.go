package policy

import (
	"fmt"
	"slices"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/domain/role"
)

// Stream returns the name of programme p's policy stream.
func Stream(p programme.Code) string { return "policy-" + string(p) }

// State is one programme's published versions, folded from its stream.
// Published versions are never changed or removed: an amendment is a new
// version that supersedes an old one (see Version.Supersedes).
type State struct {
	Programme programme.Code
	Versions  []Version
}

// Command is a command on a policy stream: PublishVersion or ReviseVersion.
type Command interface{ policyCommand() }

// PublishVersion asks to publish a new version of a programme's policy,
// or, with Version.Supersedes set, an amendment of a published one.
// Publishing policy is an administrator's act.
type PublishVersion struct {
	Version Version   `json:"version"`
	Actor   string    `json:"actor"`
	Role    string    `json:"role"`
	At      time.Time `json:"at"`
}

func (PublishVersion) policyCommand() {}

// PolicyVersionPublished records a published version (an amendment when
// its Supersedes is set).
type PolicyVersionPublished struct {
	Version Version `json:"version"`
}

// EventType implements domain.Event.
func (PolicyVersionPublished) EventType() string { return "PolicyVersionPublished" }

// Decide checks cmd against s. The issuer must be an administrator (a
// *domain.RuleError with rule "role-administrator" otherwise). See
// decidePublish and decideRevise for what each command checks.
func Decide(s State, cmd Command) ([]domain.Event, error) {
	switch c := cmd.(type) {
	case PublishVersion:
		if err := role.Authorize(c.Actor, c.Role, c.At, role.Administrator); err != nil {
			return nil, fmt.Errorf("publish policy version: %w", err)
		}
		return decidePublish(s, c.Version)
	case ReviseVersion:
		if err := role.Authorize(c.Actor, c.Role, c.At, role.Administrator); err != nil {
			return nil, fmt.Errorf("revise policy version: %w", err)
		}
		return decideRevise(s, c.Version)
	}
	return nil, fmt.Errorf("policy: unknown command %T", cmd)
}

// decidePublish refuses invalid parameters (a *domain.FieldError naming
// the field), a version of another programme than the stream's, a reused
// ID with different content (*ChangedError, naming the differing fields),
// a bad amendment, and a range that overlaps a published version that is
// not the one amended or one it amended (*domain.RuleError). Publishing the
// very same version again decides nothing, so a retry is harmless.
func decidePublish(s State, v Version) ([]domain.Event, error) {
	if err := v.Validate(); err != nil {
		return nil, fmt.Errorf("publish policy version: %w", err)
	}
	if s.Programme != "" && v.Programme != s.Programme {
		return nil, domain.Reject("policy-stream-programme", "programme", "version %s is for %s, this stream is %s", v.ID, v.Programme, s.Programme)
	}
	for _, w := range s.Versions {
		if w.ID != v.ID {
			continue
		}
		fields := Differences(w, v)
		if w.Supersedes != v.Supersedes {
			// Which version it amends is part of the fact, too.
			fields = append(fields, "supersedes")
			slices.Sort(fields)
		}
		if len(fields) > 0 {
			return nil, changed(w.ID, fields)
		}
		return nil, nil
	}
	amended := map[string]bool{}
	if v.Supersedes != "" {
		if err := checkAmendment(s, v); err != nil {
			return nil, err
		}
		for _, id := range chain(s.Versions, v.Supersedes) {
			amended[id] = true
		}
	}
	for _, w := range s.Versions {
		if !amended[w.ID] && w.Overlaps(v) {
			return nil, domain.Reject("policy-no-overlap", "effectiveFrom", "version %s (%s–%s) overlaps published version %s (%s–%s)", v.ID, v.EffectiveFrom, openEnd(v), w.ID, w.EffectiveFrom, openEnd(w))
		}
	}
	return []domain.Event{PolicyVersionPublished{Version: v}}, nil
}

// checkAmendment checks v, which supersedes a version: that one must be
// published, not yet superseded (amend the latest word, not an old one),
// and share at least one day with v (otherwise v amends nothing).
func checkAmendment(s State, v Version) error {
	old, ok := find(s.Versions, v.Supersedes)
	if !ok {
		return domain.Reject("policy-supersedes-published", "supersedes", "version %s supersedes %s, which is not published", v.ID, v.Supersedes)
	}
	if later, ok := supersededBy(s.Versions, old.ID); ok {
		return domain.Reject("policy-supersede-latest", "supersedes", "version %s is already superseded by %s; amend %s instead", old.ID, later.ID, later.ID)
	}
	if !old.Overlaps(v) {
		return domain.Reject("policy-amendment-overlaps", "effectiveFrom", "amendment %s (%s–%s) shares no day with %s (%s–%s), the version it supersedes", v.ID, v.EffectiveFrom, openEnd(v), old.ID, old.EffectiveFrom, openEnd(old))
	}
	return nil
}

// Evolve folds one event into s.
func Evolve(s State, e domain.Event) State {
	if p, ok := e.(PolicyVersionPublished); ok {
		s.Programme = p.Version.Programme
		s.Versions = append(append([]Version(nil), s.Versions...), p.Version)
	}
	return s
}

func openEnd(v Version) string {
	if v.EffectiveTo.IsZero() {
		return "open"
	}
	return v.EffectiveTo.String()
}

// find returns the version with ID id.
func find(versions []Version, id string) (Version, bool) {
	for _, v := range versions {
		if v.ID == id {
			return v, true
		}
	}
	return Version{}, false
}

// supersededBy returns the version that supersedes the one with ID id.
func supersededBy(versions []Version, id string) (Version, bool) {
	for _, v := range versions {
		if v.Supersedes == id {
			return v, true
		}
	}
	return Version{}, false
}

// chain returns id and the IDs of the versions it amends, transitively,
// newest first. It stops at a repeated ID, which a published history never
// holds, so malformed input cannot make it loop.
func chain(versions []Version, id string) []string {
	var ids []string
	seen := map[string]bool{}
	for id != "" && !seen[id] {
		seen[id] = true
		ids = append(ids, id)
		v, ok := find(versions, id)
		if !ok {
			break
		}
		id = v.Supersedes
	}
	return ids
}

// EventTypes is the registry of the policy stream's event types. The event
// is a value, not a pointer, because Evolve switches on the value type.
func EventTypes() map[string]func() domain.Event {
	return map[string]func() domain.Event{
		"PolicyVersionPublished": func() domain.Event { return PolicyVersionPublished{} },
	}
}
