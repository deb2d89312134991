package api

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/haixi-hrss/fundledger/domain/policy"
)

// TestStrictDecodeAgreesWithEncodingJSON: on valid input the strict
// decoder gives what encoding/json gives, here for every seed policy
// version (pointers, maps with typed keys, decimals, dates, slices).
func TestStrictDecodeAgreesWithEncodingJSON(t *testing.T) {
	versions, err := policy.Seed()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var want, got policy.Version
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if err := decodeValue(raw, reflect.ValueOf(&got).Elem(), nil); err != nil {
			t.Fatalf("%s: %v", v.ID, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: strict %+v, encoding/json %+v", v.ID, got, want)
		}
	}
}
