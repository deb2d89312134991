package invariant

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/haixi-hrss/fundledger/domain"
	"github.com/haixi-hrss/fundledger/domain/budget"
	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/domain/fund"
)

// run drives one sequence from data, checks the replay of every stream at
// the end, and returns how often each event type was recorded.
func run(t testing.TB, data []byte) map[string]int {
	x := newSim(t)
	src := &source{data: data}
	for steps := 0; !src.done() && steps < 400; steps++ {
		x.step(src)
	}
	x.finishAll()
	seen := map[string]int{}
	x.fund.replay(x)
	count(seen, x.fund.history)
	for _, l := range x.lines {
		l.replay(x)
		count(seen, l.history)
	}
	for _, c := range x.claims {
		c.replay(x)
		count(seen, c.history)
	}
	return seen
}

func count[E interface{ EventType() string }](seen map[string]int, events []E) {
	for _, e := range events {
		seen[e.EventType()]++
	}
}

// TestSeeded runs fixed pseudo-random sequences on every test run, and
// fails if they stop reaching any event type: a simulation that no longer
// pays, recovers or revokes would check nothing about those steps.
func TestSeeded(t *testing.T) {
	sequences := 60
	if testing.Short() {
		sequences = 15
	}
	seen := map[string]int{}
	for seed := range uint64(sequences) {
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		data := make([]byte, 512+r.IntN(3584))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		for k, v := range run(t, data) {
			seen[k] += v
		}
	}
	var missing []string
	for _, registry := range []map[string]func() domain.Event{fund.EventTypes(), budget.EventTypes(), claim.EventTypes()} {
		for name := range registry {
			if seen[name] == 0 {
				missing = append(missing, name)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("the seeded sequences never recorded %v; seen %v", missing, seen)
	}
	t.Logf("events recorded over %d sequences: %v", sequences, seen)
}

// FuzzLedger is the coverage-guided target:
//
//	go test -run='^$' -fuzz=FuzzLedger ./domain/invariant
//
// Its committed corpus (testdata/fuzz/FuzzLedger) runs in every go test.
func FuzzLedger(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { run(t, data) })
}
