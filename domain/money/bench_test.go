package money

import "testing"

// benchAmounts are amounts as the ledger's events carry them.
var benchAmounts = [][]byte{[]byte(`"1500.00"`), []byte(`"82345.67"`), []byte(`"0.5"`), []byte(`"120000"`)}

func BenchmarkUnmarshalJSON(b *testing.B) {
	b.ReportAllocs()
	var a Amount
	for i := 0; b.Loop(); i++ {
		if err := a.UnmarshalJSON(benchAmounts[i%len(benchAmounts)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalJSON(b *testing.B) {
	b.ReportAllocs()
	a := MustParse("82345.67")
	for b.Loop() {
		if _, err := a.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}
