package calendar

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"2025-03-31", "2025-03-31", true},
		{"2024-02-29", "2024-02-29", true},
		{"2025-02-29", "", false},
		{"2025-13-01", "", false},
		{"2025-3-31", "", false},
		{"20250331", "", false},
		{"2025-03-31T00:00:00Z", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := Parse("graduated", tt.in)
		if tt.ok {
			if err != nil || got.String() != tt.want {
				t.Errorf("Parse(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
			}
			continue
		}
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Field != "graduated" || fe.Rule != "date-format" {
			t.Errorf("Parse(%q) error = %v, want field graduated rule date-format", tt.in, err)
		}
	}
}

func TestNewRefusesNonDays(t *testing.T) {
	if _, err := New(2023, time.February, 29); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("New(2023-02-29) error = %v, want ErrInvalid", err)
	}
	if _, err := New(0, time.January, 1); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("New(0000-01-01) error = %v, want ErrInvalid", err)
	}
}

func TestFromTimeUsesShanghai(t *testing.T) {
	// 16:00 UTC is already midnight of the next day in Shanghai.
	tests := []struct {
		utc  time.Time
		want string
	}{
		{time.Date(2025, 12, 31, 15, 59, 59, 0, time.UTC), "2025-12-31"},
		{time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC), "2026-01-01"},
		{time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("PST", -8*3600)), "2025-01-01"},
	}
	for _, tt := range tests {
		if got := FromTime(tt.utc).String(); got != tt.want {
			t.Errorf("FromTime(%s) = %s, want %s", tt.utc, got, tt.want)
		}
	}
	if got := MustParse("2026-01-01").Start().UTC(); !got.Equal(time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("Start() = %s, want 2025-12-31T16:00Z", got)
	}
}

func TestArithmetic(t *testing.T) {
	d := MustParse
	tests := []struct {
		name string
		got  Date
		want string
	}{
		{"add days over year end", d("2025-12-30").AddDays(3), "2026-01-02"},
		{"subtract days", d("2025-03-01").AddDays(-1), "2025-02-28"},
		{"add month clamps", d("2024-01-31").AddMonths(1), "2024-02-29"},
		{"add month clamps non-leap", d("2025-01-31").AddMonths(1), "2025-02-28"},
		{"add months over year", d("2025-11-15").AddMonths(3), "2026-02-15"},
		{"subtract months", d("2025-03-31").AddMonths(-1), "2025-02-28"},
		{"leap day plus a year", d("2024-02-29").AddYears(1), "2025-02-28"},
		{"plus two years", d("2023-06-30").AddYears(2), "2025-06-30"},
		{"first of month", d("2025-06-30").FirstOfMonth(), "2025-06-01"},
	}
	for _, tt := range tests {
		if tt.got.String() != tt.want {
			t.Errorf("%s = %s, want %s", tt.name, tt.got, tt.want)
		}
	}
	if n := d("2024-12-31").DaysUntil(d("2025-03-01")); n != 60 {
		t.Errorf("DaysUntil = %d, want 60", n)
	}
	if n := d("2025-01-31").MonthsUntil(d("2026-02-01")); n != 13 {
		t.Errorf("MonthsUntil = %d, want 13", n)
	}
}

func TestCompare(t *testing.T) {
	a, b := MustParse("2025-05-31"), MustParse("2025-06-01")
	if !a.Before(b) || a.After(b) || b.Before(a) || !b.After(a) || a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Fatal("ordering of 2025-05-31 and 2025-06-01 is wrong")
	}
	if MustParse("2024-12-31").Compare(MustParse("2025-01-01")) != -1 {
		t.Fatal("year must dominate month and day")
	}
	if !a.Within(a, b) || !b.Within(a, b) || a.AddDays(-1).Within(a, b) || b.AddDays(1).Within(a, b) {
		t.Fatal("Within must include both ends and nothing outside")
	}
}

func TestJSON(t *testing.T) {
	type doc struct {
		D Date `json:"d"`
		Z Date `json:"z"`
	}
	b, err := json.Marshal(doc{D: MustParse("2025-03-31")})
	if err != nil || string(b) != `{"d":"2025-03-31","z":""}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back doc
	if err := json.Unmarshal(b, &back); err != nil || back.D != MustParse("2025-03-31") || !back.Z.IsZero() {
		t.Fatalf("round trip = %+v, %v", back, err)
	}
	for _, in := range []string{`{"d":"2025-02-30"}`, `{"d":20250331}`, `{"d":"31/03/2025"}`} {
		if err := json.Unmarshal([]byte(in), &back); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Unmarshal(%s) error = %v, want ErrInvalid", in, err)
		}
	}
	m := map[Date]int{MustParse("2025-01-01"): 1}
	if b, err := json.Marshal(m); err != nil || string(b) != `{"2025-01-01":1}` {
		t.Errorf("map key Marshal = %s, %v", b, err)
	}
}

func TestParseRefusesYearZero(t *testing.T) {
	if _, err := Parse("d", "0000-01-01"); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Parse(0000-01-01) error = %v, want ErrInvalid", err)
	}
}

func TestShanghaiFallbackWithoutTZData(t *testing.T) {
	missing := func(string) (*time.Location, error) { return nil, errors.New("no tzdata") }
	fixed := loadShanghai(missing)
	for _, instant := range []time.Time{
		time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC),
		time.Date(2025, 7, 1, 3, 30, 0, 0, time.UTC),
		time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, want := instant.In(fixed), instant.In(Shanghai()); got.Format(time.DateTime) != want.Format(time.DateTime) {
			t.Errorf("fixed zone gives %s, tz database %s", got, want)
		}
	}
}

// TestTextWithoutFmt checks the digit-by-digit text and JSON of dates
// across short, padded and four-digit years against fmt and encoding/json,
// and that the read fast path agrees with encoding/json on escaped forms.
func TestTextWithoutFmt(t *testing.T) {
	for _, y := range []int{1, 9, 10, 99, 100, 999, 1000, 2025, 9999} {
		for _, md := range [][2]int{{1, 1}, {2, 28}, {9, 9}, {10, 31}, {12, 31}} {
			d, err := New(y, time.Month(md[0]), md[1])
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("%04d-%02d-%02d", y, md[0], md[1])
			if d.String() != want {
				t.Errorf("String = %q, want %q", d.String(), want)
			}
			wantJSON, _ := json.Marshal(want)
			if got, err := d.MarshalJSON(); err != nil || string(got) != string(wantJSON) {
				t.Errorf("MarshalJSON = %s, %v, want %s", got, err, wantJSON)
			}
			var back Date
			if err := json.Unmarshal(wantJSON, &back); err != nil || back != d {
				t.Errorf("Unmarshal(%s) = %v, %v", wantJSON, back, err)
			}
			escaped := `"\u00` + fmt.Sprintf("%x", want[0]) + want[1:] + `"`
			if err := json.Unmarshal([]byte(escaped), &back); err != nil || back != d {
				t.Errorf("Unmarshal(%s) = %v, %v", escaped, back, err)
			}
		}
	}
	if b, err := (Date{}).MarshalJSON(); err != nil || string(b) != `""` {
		t.Errorf("zero Date MarshalJSON = %s, %v", b, err)
	}
	for _, in := range []string{`"2025-13-01"`, `"2025-02-29"`, `"20250-3-01"`, `"2025-03-3\u0031"`} {
		var d Date
		err := d.UnmarshalJSON([]byte(in))
		if in == `"2025-03-3\u0031"` {
			if err != nil || d != MustParse("2025-03-31") {
				t.Errorf("UnmarshalJSON(%s) = %v, %v", in, d, err)
			}
			continue
		}
		if !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("UnmarshalJSON(%s) error = %v, want ErrInvalid", in, err)
		}
	}
}
