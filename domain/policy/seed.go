package policy

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/haixi-hrss/fundledger/domain"
)

//go:embed seed/policies.json
var seedJSON []byte

// SeedJSON returns a copy of the embedded seed file, the national
// parameters for 2023–2025 (see seed/README.md).
func SeedJSON() []byte { return bytes.Clone(seedJSON) }

// Seed loads the embedded seed file with Load.
func Seed() ([]Version, error) { return Load(seedJSON) }

// Load reads a policy file {"versions": [...]}: unknown fields are refused
// (a misspelt parameter must not silently default to zero), every version
// is validated, every "verify" entry must name a field present in the
// version, and versions of one programme must not overlap. Versions are
// returned sorted by programme and first day in force.
func Load(data []byte) ([]Version, error) {
	var file struct {
		Versions []json.RawMessage `json:"versions"`
	}
	if err := strictDecode(data, &file); err != nil {
		return nil, domain.Invalid("versions", "policy-json", "the policy file is not valid: %v", err)
	}
	out := make([]Version, 0, len(file.Versions))
	for i, raw := range file.Versions {
		var v Version
		if err := strictDecode(raw, &v); err != nil {
			if errors.Is(err, domain.ErrInvalid) {
				return nil, fmt.Errorf("versions[%d]: %w", i, err)
			}
			return nil, domain.Invalid(fmt.Sprintf("versions[%d]", i), "policy-json", "%v", err)
		}
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("policy version %q: %w", v.ID, err)
		}
		if err := checkVerifyPaths(raw, v.Verify); err != nil {
			return nil, fmt.Errorf("policy version %q: %w", v.ID, err)
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Programme != out[j].Programme {
			return out[i].Programme < out[j].Programme
		}
		return out[i].EffectiveFrom.Before(out[j].EffectiveFrom)
	})
	states := map[string]State{}
	for _, v := range out {
		s := states[string(v.Programme)]
		// The file is checked as a history, not published: no issuer.
		events, err := decidePublish(s, v)
		if err != nil {
			return nil, fmt.Errorf("policy version %q: %w", v.ID, err)
		}
		for _, e := range events {
			s = Evolve(s, e)
		}
		states[string(v.Programme)] = s
	}
	return out, nil
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// checkVerifyPaths confirms that each "field", "block.field" or deeper
// path such as "absorption.oneTime.amount" in verify names a field present
// in the version's JSON object.
func checkVerifyPaths(raw json.RawMessage, verify []string) error {
	for _, path := range verify {
		val := raw
		for _, name := range strings.Split(path, ".") {
			var obj map[string]json.RawMessage
			if json.Unmarshal(val, &obj) != nil || obj[name] == nil {
				return domain.Invalid("verify", "verify-path", "%q names no field of the version", path)
			}
			val = obj[name]
		}
	}
	return nil
}
