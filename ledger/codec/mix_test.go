package codec_test

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// stored is one event as the ledger holds it.
type stored struct {
	typ     string
	version int
	data    []byte
}

// ledgerSamples reads testdata/ledger-mix.tsv: up to six payloads of each
// event type of the 1,000,226-event benchmark ledger (projbench), picked
// at random, with the type's count in that ledger. Lines are type,
// schema version, count and payload, separated by tabs.
func ledgerSamples(t testing.TB) (samples []stored, counts map[string]int) {
	f, err := os.Open("testdata/ledger-mix.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts = map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		cols := strings.SplitN(sc.Text(), "\t", 4)
		if len(cols) != 4 {
			t.Fatalf("ledger-mix.tsv: %q has %d columns", sc.Text(), len(cols))
		}
		v, err1 := strconv.Atoi(cols[1])
		n, err2 := strconv.Atoi(cols[2])
		if err1 != nil || err2 != nil {
			t.Fatalf("ledger-mix.tsv: %q: bad version or count", sc.Text())
		}
		samples = append(samples, stored{typ: cols[0], version: v, data: []byte(cols[3])})
		counts[cols[0]] = n
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return samples, counts
}

// ledgerMix returns 1,000 events (±rounding) in the benchmark ledger's
// proportions of event types, cycling through each type's samples.
func ledgerMix(t testing.TB) []stored {
	samples, counts := ledgerSamples(t)
	total := 0
	for _, n := range counts {
		total += n
	}
	byType := map[string][]stored{}
	var order []string
	for _, s := range samples {
		if byType[s.typ] == nil {
			order = append(order, s.typ)
		}
		byType[s.typ] = append(byType[s.typ], s)
	}
	var mix []stored
	for _, typ := range order {
		for i := range (counts[typ]*1000 + total/2) / total {
			mix = append(mix, byType[typ][i%len(byType[typ])])
		}
	}
	// Interleave the types as a replay meets them, not in runs.
	interleaved := make([]stored, len(mix))
	for i := range mix {
		interleaved[(i*397)%len(mix)] = mix[i]
	}
	return interleaved
}

// BenchmarkDecodeLedgerMix decodes events in the mix of the benchmark
// ledger through the ledger's codec; ns/event is the figure to compare.
func BenchmarkDecodeLedgerMix(b *testing.B) {
	c := schema.Codec()
	mix := ledgerMix(b)
	bytes := 0
	for _, e := range mix {
		bytes += len(e.data)
	}
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	for b.Loop() {
		for i := range mix {
			if _, err := c.DecodeData(mix[i].typ, mix[i].version, mix[i].data); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(mix)), "ns/event")
}
