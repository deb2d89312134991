package identity

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
)

func TestParseResidentIDValidExamples(t *testing.T) {
	tests := []struct {
		id, area, birth string
		sex             Sex
		masked          string
	}{
		{"11010519491231002X", "110105", "1949-12-31", Female, "1101**********002X"},
		{"440524188001010014", "440524", "1880-01-01", Male, "4405**********0014"},
		{"632801199903151230", "632801", "1999-03-15", Male, "6328**********1230"},
		{"11010519491231002x", "110105", "1949-12-31", Female, "1101**********002X"},
	}
	for _, tt := range tests {
		id, err := ParseResidentID("residentId", tt.id)
		if err != nil {
			t.Fatalf("ParseResidentID(%s) error = %v", tt.id, err)
		}
		if id.AreaCode() != tt.area || id.BirthDate().String() != tt.birth || id.Sex() != tt.sex || id.Masked() != tt.masked {
			t.Errorf("%s: area %s birth %s sex %s masked %s", tt.id, id.AreaCode(), id.BirthDate(), id.Sex(), id.Masked())
		}
		if id.Plain() != strings.ToUpper(tt.id) || id.String() != tt.masked {
			t.Errorf("%s: Plain %s String %s", tt.id, id.Plain(), id)
		}
	}
}

func TestParseResidentIDInvalid(t *testing.T) {
	tests := []struct{ in, rule string }{
		{"632801199903151231", "resident-id-check"},   // last digit changed
		{"632801199903151239", "resident-id-check"},   // another wrong check
		{"632801199903161230", "resident-id-check"},   // a digit of the body changed
		{"11010519491231002Y", "resident-id-digits"},  // Y is no check character
		{"1101051949123100X2", "resident-id-digits"},  // X only at the end
		{"63280119990315123", "resident-id-length"},   // 17 characters
		{"6328011999031512300", "resident-id-length"}, // 19 characters
		{"632801 99903151230", "resident-id-digits"},
		{"632801199902301234", "resident-id-birth-date"}, // 30 February
		{"632801199913011234", "resident-id-birth-date"}, // month 13
		{"", "resident-id-length"},
	}
	for _, tt := range tests {
		_, err := ParseResidentID("residentId", tt.in)
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Rule != tt.rule || fe.Field != "residentId" {
			t.Errorf("ParseResidentID(%q) error = %v, want rule %s", tt.in, err, tt.rule)
			continue
		}
		if len(tt.in) == 18 && strings.Contains(err.Error(), tt.in) {
			t.Errorf("error %q echoes the full ID", err)
		}
	}
}

func TestResidentIDGenerated(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		s := genResidentID(r)
		id, err := ParseResidentID("id", s)
		if err != nil {
			t.Fatalf("generated %s: %v", s, err)
		}
		if c, ok := ResidentCheckChar(s[:17]); !ok || c != s[17] {
			t.Fatalf("ResidentCheckChar(%s) = %c, want %c", s[:17], c, s[17])
		}
		// Every single-character change of a digit is detected.
		pos := r.IntN(17)
		bad := []byte(s)
		bad[pos] = '0' + (bad[pos]-'0'+byte(1+r.IntN(9)))%10
		if _, err := ParseResidentID("id", string(bad)); err == nil {
			t.Fatalf("%s (from %s) parsed although a digit changed", bad, s)
		}
		if id.Sex() == Male != ((s[16]-'0')%2 == 1) {
			t.Fatalf("%s: sex %s", s, id.Sex())
		}
	}
}

func TestResidentIDNeverEncodesPlaintext(t *testing.T) {
	id, _ := ParseResidentID("id", "632801199903151230")
	if _, err := json.Marshal(struct{ ID ResidentID }{id}); !errors.Is(err, ErrPlaintextID) {
		t.Fatalf("Marshal error = %v, want ErrPlaintextID", err)
	}
	var v struct{ ID ResidentID }
	if err := json.Unmarshal([]byte(`{"ID":"632801199903151230"}`), &v); err != nil || v.ID != id {
		t.Fatalf("Unmarshal = %v, %v", v.ID, err)
	}
	if err := json.Unmarshal([]byte(`{"ID":"632801199903151231"}`), &v); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Unmarshal bad ID error = %v, want ErrInvalid", err)
	}
}

func TestPersonRef(t *testing.T) {
	secret := []byte(strings.Repeat("k", 32))
	h, err := NewHasher(secret)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := ParseResidentID("id", "632801199903151230")
	b, _ := ParseResidentID("id", "440524188001010014")
	ra := h.Ref(a)
	if _, err := ParsePersonRef("person", string(ra)); err != nil {
		t.Fatalf("Ref is not a valid PersonRef: %v", err)
	}
	if ra != h.Ref(a) || ra == h.Ref(b) {
		t.Fatal("Ref must be stable per person and differ between persons")
	}
	secret[0] = 'x' // the hasher keeps its own copy
	if h.Ref(a) != ra {
		t.Fatal("changing the caller's secret slice changed the hasher")
	}
	other, _ := NewHasher([]byte(strings.Repeat("j", 32)))
	if other.Ref(a) == ra {
		t.Fatal("another secret must give another reference")
	}
	if strings.Contains(string(ra), "632801") {
		t.Fatal("reference contains the area code in clear")
	}
	// HMAC-SHA-256, key = 32 × "k", message = the ID, computed with
	// Python's hmac module: a golden value so references recorded in events
	// never change silently between releases.
	if want := PersonRef("143c5c3107d9f2544675f00ff5208e245bb108ab3953dce2f44e409b469f6362"); ra != want {
		t.Fatalf("Ref = %s, want %s", ra, want)
	}
	if _, err := NewHasher(make([]byte, 31)); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("NewHasher(31 bytes) error = %v, want ErrInvalid", err)
	}
	for _, s := range []string{"", strings.Repeat("A", 64), strings.Repeat("a", 63)} {
		if _, err := ParsePersonRef("person", s); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("ParsePersonRef(%q) error = %v, want ErrInvalid", s, err)
		}
	}
}

func TestFactsCarryNoIdentifier(t *testing.T) {
	id, _ := ParseResidentID("id", "632801199903151230")
	b, err := json.Marshal(id.Facts())
	if err != nil || string(b) != `{"birthDate":"1999-03-15","sex":"male","areaCode":"632801"}` {
		t.Fatalf("Facts JSON = %s, %v", b, err)
	}
}
