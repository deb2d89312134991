package identity

import (
	"errors"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
)

func FuzzParseResidentID(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "440524188001010014", "632801199903151230", "632801199903151231", "11010519491231002x", "", "00000000000000000X", "632801000002291234"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseResidentID("id", s)
		if err != nil {
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			if !id.IsZero() {
				t.Fatalf("a failed parse returned %q", id.Plain())
			}
			return
		}
		p := id.Plain()
		if len(p) != 18 || p != strings.ToUpper(s) || residentCheckIndependent(p[:17]) != p[17] {
			t.Fatalf("accepted %q as %q", s, p)
		}
		if id.BirthDate().IsZero() || id.BirthDate().String() != p[6:10]+"-"+p[10:12]+"-"+p[12:14] {
			t.Fatalf("%q: birth date %s", p, id.BirthDate())
		}
		if m := id.Masked(); len(m) != 18 || m[4:14] != "**********" || m[:4] != p[:4] || m[14:] != p[14:] {
			t.Fatalf("%q masked as %q", p, m)
		}
		again, err := ParseResidentID("id", p)
		if err != nil || again != id {
			t.Fatalf("re-parse of %q = %v", p, err)
		}
	})
}

func FuzzParseCreditCode(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", "91350100M000100Y44", "91350100m000100y43", "", "91350100I000100Y43", "YYYYYYYYYYYYYYYYYY"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCreditCode("employer", s)
		switch {
		case err == nil:
			if !c.CheckCharValid() || creditCheckIndependent(string(c[:17])) != c[17] || string(c) != strings.ToUpper(s) {
				t.Fatalf("accepted %q as %q", s, c)
			}
		case errors.Is(err, ErrNeedsReview):
			if c.CheckCharValid() || len(c) != 18 || string(c) != strings.ToUpper(s) {
				t.Fatalf("review case %q returned %q", s, c)
			}
		case errors.Is(err, domain.ErrInvalid):
			if c != "" {
				t.Fatalf("malformed %q returned %q", s, c)
			}
		default:
			t.Fatalf("error %v is neither ErrInvalid nor ErrNeedsReview", err)
		}
	})
}
