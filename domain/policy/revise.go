package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
)

// ReviseVersion asks to make Version's content the word in force under its
// ID, as publishing a revised seed file does: the first time it publishes
// the version; when the latest version under that ID (the version itself
// or its newest amendment) has the same content it decides nothing; when
// the content differs it publishes an amendment, ID+".rN", superseding the
// latest. A published version is never changed, because every decision
// records the version it was made under. Revising is an administrator's
// act.
type ReviseVersion struct {
	Version Version   `json:"version"`
	Actor   string    `json:"actor"`
	Role    string    `json:"role"`
	At      time.Time `json:"at"`
}

func (ReviseVersion) policyCommand() {}

func decideRevise(s State, v Version) ([]domain.Event, error) {
	if v.Supersedes != "" {
		return nil, domain.Invalid("supersedes", "revision-supersedes", "a revision names no superseded version (%s): the latest under %s is found in the stream", v.Supersedes, v.ID)
	}
	base, ok := find(s.Versions, v.ID)
	if !ok {
		return decidePublish(s, v)
	}
	latest, n := base, 1
	for {
		next, ok := supersededBy(s.Versions, latest.ID)
		if !ok {
			break
		}
		latest, n = next, n+1
	}
	if len(Differences(latest, v)) == 0 {
		return nil, nil
	}
	amendment := v
	amendment.Supersedes = latest.ID
	for {
		n++
		amendment.ID = fmt.Sprintf("%s.r%d", v.ID, n)
		if _, taken := find(s.Versions, amendment.ID); !taken {
			break
		}
	}
	return decidePublish(s, amendment)
}

// ChangedError refuses a version whose ID is already published with other
// content. It unwraps to a *domain.RuleError (rule
// "policy-version-immutable"), so it matches domain.ErrRejected.
type ChangedError struct {
	// ID is the published version's ID.
	ID string
	// Fields are the differing fields as JSON paths, e.g.
	// "absorption.oneTime.amount", sorted.
	Fields []string
	rule   *domain.RuleError
}

func changed(id string, fields []string) *ChangedError {
	return &ChangedError{ID: id, Fields: fields, rule: domain.Reject("policy-version-immutable", "id",
		"version %s is already published with other content (%s differ); a published version never changes: "+
			"publish the change as a new version that supersedes %s", id, strings.Join(fields, ", "), id)}
}

func (e *ChangedError) Error() string { return e.rule.Error() }

// Unwrap returns the *domain.RuleError.
func (e *ChangedError) Unwrap() error { return e.rule }

// Differences lists the fields, as JSON paths such as
// "absorption.oneTime.amount", in which a and b differ, sorted; a block
// present in only one of them is one path ("absorption.oneTime"). The ID
// and Supersedes are not content and are not compared. Values compare by
// their JSON form, where equal amounts print alike whatever their internal
// exponent; a list compares as a whole.
func Differences(a, b Version) []string {
	a.ID, a.Supersedes, b.ID, b.Supersedes = "", "", "", ""
	x, errX := json.Marshal(a)
	y, errY := json.Marshal(b)
	if errX != nil || errY != nil {
		// Every field of Version marshals; keep a failure visible.
		return []string{"(unmarshallable version)"}
	}
	var out []string
	diffJSON(&out, "", x, y)
	slices.Sort(out)
	return out
}

// diffJSON appends to out the paths under prefix where x and y differ,
// descending into objects both sides have.
func diffJSON(out *[]string, prefix string, x, y json.RawMessage) {
	var ox, oy map[string]json.RawMessage
	if json.Unmarshal(x, &ox) != nil || json.Unmarshal(y, &oy) != nil || ox == nil || oy == nil {
		if !bytes.Equal(x, y) {
			*out = append(*out, prefix)
		}
		return
	}
	for _, k := range slices.Sorted(maps.Keys(ox)) {
		if _, ok := oy[k]; !ok {
			oy[k] = nil
		}
	}
	for _, k := range slices.Sorted(maps.Keys(oy)) {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		diffJSON(out, path, ox[k], oy[k])
	}
}
