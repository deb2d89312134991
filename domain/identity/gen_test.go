package identity

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The generators compute check characters from the standards' own
// definitions (weights as powers, not the tables in the package), so a
// typo in a package table cannot hide behind the same typo in a test.

// residentCheckIndependent implements GB 11643 as ISO 7064 MOD 11-2:
// weights 2^(17−i) mod 11, check value (12 − Σ mod 11) mod 11, 10 = X.
func residentCheckIndependent(first17 string) byte {
	sum, w := 0, 1
	for i := 16; i >= 0; i-- {
		w = w * 2 % 11
		sum += int(first17[i]-'0') * w
	}
	v := (12 - sum%11) % 11
	if v == 10 {
		return 'X'
	}
	return byte('0' + v)
}

const alphabet31 = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditCheckIndependent implements GB 32100: weights 3^i mod 31.
func creditCheckIndependent(first17 string) byte {
	sum, w := 0, 1
	for i := range 17 {
		sum += strings.IndexByte(alphabet31, first17[i]) * w
		w = w * 3 % 31
	}
	return alphabet31[(31-sum%31)%31]
}

// genResidentID returns a valid ID born between 1930 and 2009.
func genResidentID(r *rand.Rand) string {
	areas := []string{"632801", "632802", "632821", "110105", "440524"}
	y := 1930 + r.IntN(80)
	m := 1 + r.IntN(12)
	d := 1 + r.IntN(28)
	first := fmt.Sprintf("%s%04d%02d%02d%03d", areas[r.IntN(len(areas))], y, m, d, r.IntN(1000))
	return first + string(residentCheckIndependent(first))
}

// genCreditCode returns a valid code with the given two-character prefix.
func genCreditCode(r *rand.Rand, prefix string) string {
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteString("632801")
	for range 9 {
		b.WriteByte(alphabet31[r.IntN(len(alphabet31))])
	}
	return b.String() + string(creditCheckIndependent(b.String()))
}
