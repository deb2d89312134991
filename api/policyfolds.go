package api

import (
	"context"
	"fmt"
	"sync"

	"github.com/haixi-hrss/fundledger/domain/policy"
	"github.com/haixi-hrss/fundledger/domain/programme"
	"github.com/haixi-hrss/fundledger/ledger/schema"
)

// policyFolds keeps each programme's policy stream folded. Every claim
// submitted reads its programme's policy, which is published a few times a
// year: the stream is read from the version after the fold, which finds
// nothing new almost always, instead of being read and decoded whole.
type policyFolds struct {
	mu    sync.Mutex
	folds map[programme.Code]policyFold
}

type policyFold struct {
	next  uint64 // the version the stream's next event gets
	state policy.State
}

// state returns programme p's policy state as the log holds it now.
func (f *policyFolds) state(ctx context.Context, s *server, p programme.Code) (policy.State, error) {
	agg := schema.Policy(p)
	f.mu.Lock()
	fold, ok := f.folds[p]
	f.mu.Unlock()
	if !ok {
		fold.state = agg.Initial
	}
	evs, err := s.store.ReadStream(ctx, agg.Stream, fold.next, 0)
	if err != nil {
		return fold.state, fmt.Errorf("api: read %s: %w", agg.Stream, err)
	}
	if len(evs) == 0 {
		return fold.state, nil
	}
	for i := range evs {
		ev, err := s.l.Codec.Decode(&evs[i])
		if err != nil {
			return fold.state, fmt.Errorf("api: %s version %d: %w", agg.Stream, evs[i].Version, err)
		}
		fold.state = agg.Evolve(fold.state, ev)
		fold.next = evs[i].Version + 1
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.folds == nil {
		f.folds = make(map[programme.Code]policyFold)
	}
	// A concurrent reader may have folded further already.
	if f.folds[p].next < fold.next {
		f.folds[p] = fold
	}
	return fold.state, nil
}
