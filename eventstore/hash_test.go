package eventstore_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current code (review the diff: old events must keep verifying)")

// vector is one golden hash-chain case: an event, the hash it chains to, and
// the canonical bytes and hash the layout gives them.
type vector struct {
	Name      string `json:"name"`
	Prev      string `json:"prev"`
	Canonical string `json:"canonical"`
	Hash      string `json:"hash"`
}

func mustParseHash(t *testing.T, s string) eventstore.Hash {
	t.Helper()
	h, err := eventstore.ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// fullEvent has every field set, with Chinese text in the strings (lengths
// are counted in bytes, not characters).
func fullEvent() eventstore.Event {
	return eventstore.Event{
		ID:            uuid.MustParse("0190d9f2-7a4b-7c3d-9e8f-0123456789ab"),
		Stream:        "claim-海西-632801-0042",
		Version:       7,
		Position:      123456,
		Type:          "ClaimApproved",
		SchemaVersion: 2,
		Data:          []byte(`{"amount":"1500.00","employer":"格尔木市某某有限公司","programme":"一次性扩岗补助"}`),
		Metadata: eventstore.Metadata{
			Actor:          "approver-李娜",
			Role:           "approver",
			CorrelationID:  "req-7f3a",
			CausationID:    "cmd-approve-0042",
			IdempotencyKey: "idem-审批-0042",
			EffectiveDate:  "2025-03-01",
			PolicyVersion:  "青海-2025-v2",
		},
		RecordedAt: time.Date(2025, 3, 1, 2, 3, 4, 123456000, time.UTC),
	}
}

// vectorEvents returns the golden cases in file order. The prev of the
// "chained" case is the hash of "full", so the chain itself is pinned.
func vectorEvents() []struct {
	name string
	ev   eventstore.Event
	prev string // "" for genesis, or the name of an earlier case
} {
	full := fullEvent()
	next := fullEvent()
	next.ID = uuid.MustParse("0190d9f2-7a4b-7c3d-9e8f-0123456789ac")
	next.Version = 8
	next.Position = 123999
	next.Type = "FundsReserved"
	next.SchemaVersion = 1
	next.Data = []byte(`{"budgetLine":"budget-632801-2025-扩岗","amount":"1500.00"}`)
	next.RecordedAt = time.Date(2025, 3, 1, 2, 3, 4, 123457000, time.UTC)
	return []struct {
		name string
		ev   eventstore.Event
		prev string
	}{
		{"full", full, ""},
		{"chained", next, "full"},
		{"empty_object_no_metadata", eventstore.Event{
			ID:            uuid.MustParse("00000000-0000-0000-0000-000000000001"),
			Stream:        "fund-1",
			Type:          "FundOpened",
			SchemaVersion: 1,
			Data:          []byte(`{}`),
			RecordedAt:    time.Date(2024, 12, 31, 16, 0, 0, 0, time.UTC),
		}, ""},
		{"all_empty_before_epoch", eventstore.Event{
			RecordedAt: time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC),
		}, ""},
	}
}

func TestCanonicalGolden(t *testing.T) {
	path := filepath.Join("testdata", "hash_vectors.golden.json")
	var got []vector
	hashes := make(map[string]eventstore.Hash)
	for _, c := range vectorEvents() {
		prev := hashes[c.prev]
		h := eventstore.ComputeHash(prev, &c.ev)
		hashes[c.name] = h
		got = append(got, vector{Name: c.name, Prev: prev.String(), Canonical: hex.EncodeToString(eventstore.Canonical(&c.ev)), Hash: h.String()})
	}
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []vector
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d vectors, golden file has %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("vector %q changed: the canonical layout or the hash is no longer what stored events were hashed with\n got  %+v\n want %+v", want[i].Name, got[i], want[i])
		}
		// The golden hash is SHA-256(prev ‖ canonical), checked from the file
		// alone so the file cannot drift from the documented formula.
		canonical, err := hex.DecodeString(want[i].Canonical)
		if err != nil {
			t.Fatal(err)
		}
		prev := mustParseHash(t, want[i].Prev)
		if sum := sha256.Sum256(append(prev[:], canonical...)); hex.EncodeToString(sum[:]) != want[i].Hash {
			t.Errorf("vector %q: golden hash is not SHA-256(prev ‖ canonical)", want[i].Name)
		}
	}
}

// TestCanonicalLayout spells out the documented layout byte by byte for one
// event, independently of the code under test, so golden files regenerated
// from wrong code would still be caught here.
func TestCanonicalLayout(t *testing.T) {
	e := eventstore.Event{
		ID:            uuid.MustParse("00112233-4455-6677-8899-aabbccddeeff"),
		Stream:        "海西",
		Version:       0x0102030405060708,
		Position:      99,
		Type:          "T",
		SchemaVersion: 3,
		Data:          []byte(`{}`),
		Metadata:      eventstore.Metadata{Actor: "a", Role: "", CorrelationID: "c", CausationID: "", IdempotencyKey: "k", EffectiveDate: "", PolicyVersion: "p"},
		RecordedAt:    time.UnixMicro(0x0a0b0c0d0e0f).UTC(),
	}
	want := strings.Join([]string{
		"00000013", hex.EncodeToString([]byte("fundledger/event/v1")),
		"00112233445566778899aabbccddeeff",
		"00000006", "e6b5b7e8a5bf", // "海西" is 6 bytes of UTF-8
		"0102030405060708",
		"00000001", "54",
		"00000003",
		"00000002", "7b7d",
		"00000001", "61", "00000000", "00000001", "63", "00000000", "00000001", "6b", "00000000", "00000001", "70",
		"00000a0b0c0d0e0f",
	}, "")
	if got := hex.EncodeToString(eventstore.Canonical(&e)); got != want {
		t.Errorf("Canonical:\n got  %s\n want %s", got, want)
	}
}

func TestHashCoversEveryField(t *testing.T) {
	base := fullEvent()
	prev := mustParseHash(t, strings.Repeat("ab", 32))
	baseHash := eventstore.ComputeHash(prev, &base)

	changes := map[string]func(e *eventstore.Event){
		"id":                 func(e *eventstore.Event) { e.ID[15] ^= 1 },
		"stream":             func(e *eventstore.Event) { e.Stream += "x" },
		"version":            func(e *eventstore.Event) { e.Version++ },
		"type":               func(e *eventstore.Event) { e.Type = "ClaimRejected" },
		"schema version":     func(e *eventstore.Event) { e.SchemaVersion++ },
		"data byte":          func(e *eventstore.Event) { e.Data = bytes.Replace(e.Data, []byte("1500"), []byte("1501"), 1) },
		"data whitespace":    func(e *eventstore.Event) { e.Data = append([]byte(" "), e.Data...) },
		"actor":              func(e *eventstore.Event) { e.Metadata.Actor = "approver-王芳" },
		"role":               func(e *eventstore.Event) { e.Metadata.Role = "clerk" },
		"correlation id":     func(e *eventstore.Event) { e.Metadata.CorrelationID += "0" },
		"causation id":       func(e *eventstore.Event) { e.Metadata.CausationID = "" },
		"idempotency key":    func(e *eventstore.Event) { e.Metadata.IdempotencyKey += "1" },
		"effective date":     func(e *eventstore.Event) { e.Metadata.EffectiveDate = "2025-03-02" },
		"policy version":     func(e *eventstore.Event) { e.Metadata.PolicyVersion = "青海-2025-v3" },
		"recorded-at by 1µs": func(e *eventstore.Event) { e.RecordedAt = e.RecordedAt.Add(time.Microsecond) },
		"byte moved between stream and type": func(e *eventstore.Event) {
			e.Stream, e.Type = e.Stream[:len(e.Stream)-1], e.Stream[len(e.Stream)-1:]+e.Type
		},
		"byte moved between actor and role": func(e *eventstore.Event) {
			e.Metadata.Actor, e.Metadata.Role = e.Metadata.Actor+"a", e.Metadata.Role[1:]
		},
		"idempotency key appended to the causation id": func(e *eventstore.Event) {
			e.Metadata.CausationID, e.Metadata.IdempotencyKey = e.Metadata.CausationID+e.Metadata.IdempotencyKey, ""
		},
	}
	for name, change := range changes {
		e := fullEvent()
		change(&e)
		if eventstore.ComputeHash(prev, &e) == baseHash {
			t.Errorf("changing the %s does not change the hash", name)
		}
	}
	if eventstore.ComputeHash(eventstore.Hash{}, &base) == baseHash {
		t.Error("changing the previous hash does not change the hash")
	}

	same := map[string]func(e *eventstore.Event){
		"global position": func(e *eventstore.Event) { e.Position = 1 },
		"stored hashes": func(e *eventstore.Event) {
			e.PrevHash, e.Hash = eventstore.Hash{1}, eventstore.Hash{2}
		},
		"time zone of recorded-at": func(e *eventstore.Event) {
			e.RecordedAt = e.RecordedAt.In(time.FixedZone("CST", 8*3600))
		},
		"nanoseconds below the microsecond": func(e *eventstore.Event) { e.RecordedAt = e.RecordedAt.Add(999) },
	}
	for name, change := range same {
		e := fullEvent()
		change(&e)
		if eventstore.ComputeHash(prev, &e) != baseHash {
			t.Errorf("changing the %s changes the hash; the hash must not depend on it", name)
		}
	}
}

func TestSeal(t *testing.T) {
	e := fullEvent()
	prev := mustParseHash(t, strings.Repeat("0f", 32))
	eventstore.Seal(&e, prev)
	if e.PrevHash != prev || e.Hash != eventstore.ComputeHash(prev, &e) || e.Hash.IsZero() {
		t.Errorf("Seal: prev %s hash %s, want prev %s and the computed hash", e.PrevHash, e.Hash, prev)
	}
}

func TestParseHash(t *testing.T) {
	for _, b := range [][]byte{make([]byte, 32), bytes.Repeat([]byte{0xff}, 32), sha256.New().Sum(nil)} {
		var h eventstore.Hash
		copy(h[:], b)
		s := h.String()
		if len(s) != 64 || s != strings.ToLower(s) {
			t.Errorf("String() = %q, want 64 lower-case hex characters", s)
		}
		got, err := eventstore.ParseHash(s)
		if err != nil || got != h {
			t.Errorf("ParseHash(%q) = %s, %v; want the same hash back", s, got, err)
		}
		if h.IsZero() != (h == eventstore.Hash{}) {
			t.Errorf("%s.IsZero() = %v", h, h.IsZero())
		}
	}
	var ab eventstore.Hash
	copy(ab[:], bytes.Repeat([]byte{0xab}, 32))
	if got, err := eventstore.ParseHash(strings.Repeat("AB", 32)); err != nil || got != ab {
		t.Errorf("ParseHash of upper-case hex: %s, %v; want %s", got, err, ab)
	}
	for _, bad := range []string{
		"",
		strings.Repeat("0", 63),
		strings.Repeat("0", 65),
		strings.Repeat("0", 66),
		strings.Repeat("0", 62) + "zz",
		"0x" + strings.Repeat("0", 62),
		" " + strings.Repeat("0", 63),
		strings.Repeat("0", 64) + "\n",
	} {
		h, err := eventstore.ParseHash(bad)
		if err == nil {
			t.Errorf("ParseHash(%q) succeeded, want an error", bad)
		} else if !strings.Contains(err.Error(), "64 hex") {
			t.Errorf("ParseHash(%q): error %q does not say what is expected", bad, err)
		}
		if !h.IsZero() {
			t.Errorf("ParseHash(%q) returned %s with its error, want the zero hash", bad, h)
		}
	}
}

func TestTruncateTime(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	in := time.Date(2025, 3, 1, 10, 3, 4, 123456789, shanghai)
	got := eventstore.TruncateTime(in)
	if want := time.Date(2025, 3, 1, 2, 3, 4, 123456000, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("TruncateTime(%s) = %s, want %s", in, got, want)
	}
}
