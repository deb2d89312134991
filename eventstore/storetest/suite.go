// Package storetest is the conformance suite every eventstore.Store backend
// runs: one table of named scenarios that checks what the port in package
// eventstore documents, and nothing a backend may legitimately do otherwise
// (positions, for instance, need not be dense).
//
// A backend's test file calls Run with a factory:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) eventstore.Store {
//			s := open(t.TempDir())
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
package storetest

import (
	"testing"
	"time"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// patience is how long the suite waits for something that must happen
// (a subscription delivering, a cancelled call returning) before calling it
// a hang. It is generous because CI runs -race on two cores; it is a
// deadlock guard, not a speed requirement.
const patience = 30 * time.Second

// scenario is one named conformance check, run on a fresh, empty store.
type scenario struct {
	name string
	run  func(t *testing.T, s eventstore.Store)
}

func scenarios() []scenario {
	return []scenario{
		{"append_and_read_back", testAppendReadBack},
		{"expected_version", testExpectedVersion},
		{"multi_event_append_is_atomic", testAtomicAppend},
		{"idempotent_retry", testIdempotentRetry},
		{"concurrent_exact_one_stream", testConcurrentExact},
		{"concurrent_any_one_stream", testConcurrentAny},
		{"concurrent_many_streams_global_order", testConcurrentManyStreams},
		{"concurrent_retry_loop", testConcurrentRetryLoop},
		{"concurrent_duplicate_append", testConcurrentDuplicate},
		{"subscribe_from_start", testSubscribeFromStart},
		{"subscribe_from_middle", testSubscribeFromMiddle},
		{"subscribe_from_head", testSubscribeFromHead},
		{"subscribe_while_writing", testSubscribeWhileWriting},
		{"subscribe_cancel", testSubscribeCancel},
		{"read_stream_range", testReadStreamRange},
		{"read_stream_backward", testReadStreamBackward},
		{"missing_stream", testMissingStream},
		{"read_all_paging", testReadAllPaging},
		{"read_your_writes", testReadYourWrites},
		{"reads_are_independent", testReadsAreIndependent},
		{"invalid_append", testInvalidAppend},
		{"append_size_limit", testAppendSizeLimit},
		{"cancelled_context", testCancelledContext},
		{"closed_store", testClosedStore},
		{"multi_append", testMultiAppend},
		{"multi_append_refused", testMultiAppendRefused},
		{"multi_append_retry", testMultiAppendRetry},
		{"concurrent_multi_append", testConcurrentMultiAppend},
	}
}

// Run runs every scenario of the suite as a subtest of t. newStore must
// return a new, empty store on each call and register the store's cleanup
// (Close, removing files) with the t it is given; the suite closes some
// stores itself, so that cleanup must tolerate a store already closed.
func Run(t *testing.T, newStore func(t *testing.T) eventstore.Store) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			sc.run(t, newStore(t))
		})
	}
}
