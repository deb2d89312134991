package api

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/projections"
)

// ViewsDir is the subdirectory of the data directory where the API keeps
// the snapshot of the read models it runs itself.
const ViewsDir = "api-views"

// extraViews are the read models the API needs beyond datadir.Views: the
// evaluators' performance model, the treasurers' payment batches and the
// auditors' anomaly report. The
// API runs them itself: caught up (and saved) when the server starts,
// brought up to the log head before each read, so they cost a replay of
// the events since the last start, not of the whole log.
type extraViews struct {
	runner    *projections.Runner
	perf      *projections.Performance
	batches   *projections.PaymentBatches
	anomalies *projections.Anomalies
}

func newExtraViews(l *datadir.Ledger) (*extraViews, error) {
	dir := filepath.Join(l.Dir, ViewsDir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	v := &extraViews{perf: projections.NewPerformance(), batches: projections.NewPaymentBatches(), anomalies: projections.NewAnomalies()}
	r, err := projections.NewRunner(l.Store, l.Codec, dir, v.perf, v.batches, v.anomalies)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	if _, err := r.CatchUp(context.Background()); err != nil {
		return nil, fmt.Errorf("api: catch up the API's read models: %w", err)
	}
	v.runner = r
	return v, nil
}

// readExtra brings the API's own read models to the log head and calls fn
// while nothing is applied to them.
func (s *server) readExtra(ctx context.Context, fn func()) error {
	_, head, err := s.behind(ctx, s.extra.runner.Checkpoint(), -1)
	if err != nil {
		return err
	}
	if err := s.extra.runner.Sync(ctx, head); err != nil {
		return fmt.Errorf("api: bring the API's read models to position %d: %w", head, err)
	}
	s.extra.runner.Read(func(uint64) { fn() })
	return nil
}
