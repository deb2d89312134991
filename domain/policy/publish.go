package policy

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/programme"
)

// Stream returns the name of programme p's policy stream.
func Stream(p programme.Code) string { return "policy-" + string(p) }

// State is one programme's published versions, folded from its stream.
type State struct {
	Programme programme.Code
	Versions  []Version
}

// PublishVersion asks to publish a new version of a programme's policy.
type PublishVersion struct {
	Version Version `json:"version"`
}

// PolicyVersionPublished records a published version.
type PolicyVersionPublished struct {
	Version Version `json:"version"`
}

// EventType implements domain.Event.
func (PolicyVersionPublished) EventType() string { return "PolicyVersionPublished" }

// Decide checks cmd against s. It refuses invalid parameters (a
// *domain.FieldError naming the field), a version of another programme
// than the stream's, a reused ID with different content, and a range that
// overlaps a published version (*domain.RuleError). Publishing the very
// same version again decides nothing, so a retry is harmless.
func Decide(s State, cmd PublishVersion) ([]domain.Event, error) {
	v := cmd.Version
	if err := v.Validate(); err != nil {
		return nil, fmt.Errorf("publish policy version: %w", err)
	}
	if s.Programme != "" && v.Programme != s.Programme {
		return nil, domain.Reject("policy-stream-programme", "programme", "version %s is for %s, this stream is %s", v.ID, v.Programme, s.Programme)
	}
	for _, w := range s.Versions {
		if w.ID == v.ID {
			if sameContent(w, v) {
				return nil, nil
			}
			return nil, domain.Reject("policy-version-id-unique", "id", "version %s is already published with other content", v.ID)
		}
		if w.Overlaps(v) {
			return nil, domain.Reject("policy-no-overlap", "effectiveFrom", "version %s (%s–%s) overlaps published version %s (%s–%s)", v.ID, v.EffectiveFrom, openEnd(v), w.ID, w.EffectiveFrom, openEnd(w))
		}
	}
	return []domain.Event{PolicyVersionPublished{Version: v}}, nil
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

// sameContent compares versions by their JSON form, where equal decimals
// print alike whatever their internal exponent.
func sameContent(a, b Version) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// EventTypes is the registry of the policy stream's event types. The event
// is a value, not a pointer, because Evolve switches on the value type.
func EventTypes() map[string]func() domain.Event {
	return map[string]func() domain.Event{
		"PolicyVersionPublished": func() domain.Event { return PolicyVersionPublished{} },
	}
}
