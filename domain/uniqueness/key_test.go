package uniqueness

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestStream(t *testing.T) {
	// sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
	k := Key{Rule: "expansion-person", Value: "abc"}
	if got, want := k.Stream(), "uniq-expansion-person-ba7816bf8f01cfea414140de5dae2223"; got != want {
		t.Fatalf("Stream() = %s, want %s", got, want)
	}
	other := Key{Rule: "expansion-person", Value: "abd"}
	if other.Stream() == k.Stream() {
		t.Fatal("different values must give different streams")
	}
	if (Key{Rule: "start-up-founder", Value: "abc"}).Stream() == k.Stream() {
		t.Fatal("different rules must give different streams")
	}
	sum := sha256.Sum256([]byte("91350100M000100Y43|2025"))
	s := Key{Rule: "stabilization-employer-year", Value: "91350100M000100Y43|2025"}.Stream()
	if !strings.HasSuffix(s, hex.EncodeToString(sum[:16])) || strings.Contains(s, "9135") {
		t.Fatalf("Stream() = %s must end in the hash and not contain the value", s)
	}
}

func TestHireOneTimeSubsidy(t *testing.T) {
	k := HireOneTimeSubsidy("abc")
	if k.Rule != RuleHireOneTimeSubsidy || k.Value != "abc" {
		t.Fatalf("HireOneTimeSubsidy = %+v", k)
	}
	if got, want := k.Stream(), "uniq-hire-one-time-subsidy-ba7816bf8f01cfea414140de5dae2223"; got != want {
		t.Fatalf("Stream() = %s, want %s", got, want)
	}
	if HireOneTimeSubsidy("abd").Stream() == k.Stream() {
		t.Fatal("two people must not share the key")
	}
}
