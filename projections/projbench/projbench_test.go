package projbench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/domain/claim"
	"github.com/haixi-hrss/fundledger/eventstore"
	"github.com/haixi-hrss/fundledger/eventstore/sqlite"
	"github.com/haixi-hrss/fundledger/ledger/datadir"
	"github.com/haixi-hrss/fundledger/ledger/schema"
	"github.com/haixi-hrss/fundledger/projections"
	"github.com/haixi-hrss/fundledger/projections/projbench"
)

// generated returns a small generated ledger and its events.
func generated(t *testing.T, employers int) (*sqlite.Store, []eventstore.Event, projbench.Summary) {
	t.Helper()
	st, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sum, err := projbench.Generate(context.Background(), st, projbench.Options{Employers: employers})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.ReadAll(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return st, evs, sum
}

// allViews are the service's read models and the payment batches.
func allViews() []projections.Projection {
	return append(datadir.NewViews().All(), projections.NewPaymentBatches())
}

// plain hides a projection's Interest, so the runner decodes every event
// for it, as it did before projections could be selective.
type plain struct{ projections.Projection }

// TestGeneratedLedger: the generator records what it says, the claims
// end in every status an officer's queue shows, and every read model
// rebuilt with selective decoding equals the same model fed every event
// decoded.
func TestGeneratedLedger(t *testing.T) {
	st, evs, sum := generated(t, 40)
	if sum.Events != len(evs) || sum.Employers != 40 || sum.Claims != 3*40 {
		t.Fatalf("summary %+v, the log holds %d events", sum, len(evs))
	}
	ctx, c := context.Background(), schema.Codec()
	selective, full := allViews(), allViews()
	var wrapped []projections.Projection
	for _, p := range full {
		wrapped = append(wrapped, plain{p})
	}
	if _, err := projections.Rebuild(ctx, st, c, nil, selective...); err != nil {
		t.Fatal(err)
	}
	if _, err := projections.Rebuild(ctx, st, c, nil, wrapped...); err != nil {
		t.Fatal(err)
	}
	for i := range selective {
		if _, ok := selective[i].(projections.Selective); !ok {
			t.Errorf("%s is not selective", selective[i].Name())
		}
		eq, err := projections.Equal(selective[i], full[i])
		if err != nil || !eq {
			t.Errorf("%s: selective and full decoding differ (%v)", selective[i].Name(), err)
		}
	}
	statuses := map[claim.Status]int{}
	for _, r := range selective[1].(*projections.Claims).Find(projections.ClaimFilter{}) {
		statuses[r.Status]++
	}
	for _, s := range []claim.Status{claim.StatusSubmitted, claim.StatusChecked, claim.StatusRejected, claim.StatusApproved,
		claim.StatusInDisclosure, claim.StatusDisclosed, claim.StatusPaid, claim.StatusCancelled} {
		if statuses[s] == 0 {
			t.Errorf("no claim ends %s: %v", s, statuses)
		}
	}
}

// TestGeneratedPayloadsDecodeAsEncodingJSON: every payload of a generated
// ledger decodes through the codec exactly as encoding/json decodes it.
func TestGeneratedPayloadsDecodeAsEncodingJSON(t *testing.T) {
	_, evs, _ := generated(t, 25)
	c := schema.Codec()
	types := map[string]bool{}
	for i := range evs {
		got, err := c.Decode(&evs[i])
		if err != nil {
			t.Fatalf("position %d: %v", evs[i].Position, err)
		}
		want := reflect.New(reflect.TypeOf(got))
		if reflect.TypeOf(got).Kind() == reflect.Pointer {
			want = reflect.New(reflect.TypeOf(got).Elem())
		}
		dec := json.NewDecoder(bytes.NewReader(evs[i].Data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(want.Interface()); err != nil {
			t.Fatalf("position %d: encoding/json: %v", evs[i].Position, err)
		}
		w := want.Interface()
		if reflect.TypeOf(got).Kind() != reflect.Pointer {
			w = want.Elem().Interface()
		}
		if !reflect.DeepEqual(got, w) {
			t.Fatalf("position %d (%s): codec %#v, encoding/json %#v", evs[i].Position, evs[i].Type, got, w)
		}
		types[evs[i].Type] = true
	}
	if len(types) < 25 {
		t.Errorf("the generated ledger has only %d event types", len(types))
	}
}

// TestCachedGeneratesOnce: a cached ledger is generated on first use and
// found, not generated again, on the next.
func TestCachedGeneratesOnce(t *testing.T) {
	cache, ctx := t.TempDir(), context.Background()
	dir, sum, err := projbench.Cached(ctx, cache, projbench.Options{Employers: 3})
	if err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(dir, "projbench.json")
	before, err := os.Stat(marker)
	if err != nil {
		t.Fatal(err)
	}
	again, sum2, err := projbench.Cached(ctx, cache, projbench.Options{Employers: 3})
	if err != nil || again != dir || sum2 != sum {
		t.Fatalf("second call: %s %+v %v, first %s %+v", again, sum2, err, dir, sum)
	}
	if after, err := os.Stat(marker); err != nil || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the cached ledger was generated again")
	}
	rep, err := projbench.Measure(ctx, dir, 5)
	if err != nil || rep.Progress.Events != sum.Events || len(rep.Queries) == 0 {
		t.Errorf("measure: %+v, %v", rep, err)
	}
	if s := rep.FinalSave; s.Checkpoint != rep.Progress.Position || s.Hold <= 0 || s.Duration < s.Hold || s.Bytes == 0 {
		t.Errorf("final save %+v, want the rebuild's last position with a hold within its duration", s)
	}
}

// million returns the cached 1,000,000-event ledger, generating it on
// first use (about a minute and a half on 2 cores).
func million(b *testing.B) string {
	b.Helper()
	dir, _, err := projbench.Cached(context.Background(), "", projbench.Options{Employers: projbench.MillionEmployers})
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkRebuild rebuilds every read model of the 1,000,000-event
// ledger with Runner.Rebuild, snapshots included.
func BenchmarkRebuild(b *testing.B) {
	dir := million(b)
	for b.Loop() {
		idle := idleCPU()
		rep, err := projbench.MeasureRebuild(context.Background(), dir, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		// The time the processors had nothing to run, as the runtime
		// counts it: what a better overlap of the stages could still use.
		b.ReportMetric((idleCPU() - idle).Seconds(), "idle-cpu-s")
		b.ReportMetric(rep.RebuildRate(), "events/s")
		b.ReportMetric(rep.Replay.Seconds(), "replay-s")
		b.ReportMetric((rep.Rebuild - rep.Replay).Seconds(), "save-s")
		b.ReportMetric(float64(rep.FinalSave.Hold.Microseconds())/1000, "save-hold-ms")
		b.ReportMetric(rep.RebuildCPU.Seconds(), "cpu-s")
		b.ReportMetric(rep.RebuildGC.Seconds(), "gc-cpu-s")
		b.ReportMetric(float64(rep.PeakRSS>>20), "peak-rss-MB")
	}
}

// BenchmarkRestart restores the models of the 1,000,000-event ledger from
// their snapshot and catches up, then times the officers' queries.
func BenchmarkRestart(b *testing.B) {
	dir := million(b)
	snap := b.TempDir()
	if _, err := projbench.MeasureRebuild(context.Background(), dir, snap); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rep, err := projbench.MeasureRestart(context.Background(), dir, snap, 200)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rep.Restart.Seconds(), "restart-s")
		var p99 float64
		for _, q := range rep.Queries {
			p99 = max(p99, float64(q.P99.Microseconds()))
		}
		b.ReportMetric(p99, "worst-query-p99-µs")
	}
}

// idleCPU is the processor time the Go runtime has found nothing to run
// on so far.
func idleCPU() time.Duration {
	s := []metrics.Sample{{Name: "/cpu/classes/idle:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return time.Duration(s[0].Value.Float64() * float64(time.Second))
}
