package kurrent

// fakeServer is an in-process stand-in for a KurrentDB node, good enough for
// the real client (esdb) to run the conformance suite in `go test` without a
// database. It implements, from the client module's generated protos:
//   - Streams.Append: expected revision any / no stream / stream exists /
//     exact, answering WrongExpectedVersion like the server; a 1 MiB
//     request limit (InvalidArgument, like the server's
//     "maximum append size exceeded").
//   - Streams.Read: stream reads forwards and backwards (StreamNotFound for a
//     missing stream), $all reads from start / end / a position (inclusive
//     forwards, exclusive backwards; InvalidArgument "invalid position" for
//     a position that is not the start of a record), and catch-up
//     subscriptions to $all: a Confirmation first, then the history, a
//     CaughtUp notice, then live events; start position exclusive; event-type
//     and stream-name filters (regex or prefixes).
//   - a follower's "not leader" answer (trailers naming the leader, here
//     itself), on demand, for Append and Read.
//   - ServerFeatures.GetSupportedMethods (what the client asks on connect)
//     and Gossip.Read (what it asks when given several hosts), both
//     describing one leader node.
//
// Positions are byte offsets of a notional log: every event is
// self-committed, so commit = prepare position, as on a 24.x+ server, and
// the first ledger event is never at 0 (system events come first). Events
// carry the "created" metadata as 100 ns ticks since the Unix epoch.
//
// It does NOT model: persistence, stream deletion, tombstones and
// truncation, stream metadata and ACLs, authentication and TLS, link events
// and resolveLinkTos, BatchAppend, the server's own idempotency check for
// resent event IDs (the adapter has its own), checkpoints for filtered
// subscriptions, max search windows, FellBehind, stream subscriptions,
// persistent subscriptions, projections, leader elections or more than one
// node, server-side deadlines (a stalled node waits for the client's), the exact byte layout of the real
// transaction log, the real rule for what counts towards the 1 MiB limit
// (here: data plus metadata), reads from beyond the end of $all, and the
// missing positions on stream reads of servers before 24.x.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	gossipapi "github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	featuresapi "github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

const fakeMaxAppendSize = 1 << 20

type fakeRecord struct {
	id          uuid.UUID
	stream      string
	revision    uint64
	position    uint64
	eventType   string
	contentType string
	created     int64 // 100 ns ticks since the Unix epoch
	data        []byte
	meta        []byte
}

// fakeLog is the node's state; it outlives stops and restarts.
type fakeLog struct {
	mu      sync.Mutex
	all     []*fakeRecord
	streams map[string][]*fakeRecord
	byPos   map[uint64]int // position -> index in all
	next    uint64         // position of the next record
	changed chan struct{}  // closed and replaced on every commit
}

func newFakeLog() *fakeLog {
	l := &fakeLog{streams: map[string][]*fakeRecord{}, byPos: map[uint64]int{}, next: 128, changed: make(chan struct{})}
	// A fresh node writes system events before anyone else.
	l.commit("$settings", "$settings", []fakeProposed{{id: uuid.New(), data: []byte(`{}`)}})
	l.commit("$stats-127.0.0.1:2113", "$statsCollected", []fakeProposed{{id: uuid.New(), data: []byte(`{}`)}})
	return l
}

type fakeProposed struct {
	id          uuid.UUID
	eventType   string
	contentType string
	data, meta  []byte
}

// commit appends records to stream under l.mu (taken here).
func (l *fakeLog) commit(stream, eventType string, ps []fakeProposed) (last *fakeRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.commitLocked(stream, eventType, ps)
}

func (l *fakeLog) commitLocked(stream, eventType string, ps []fakeProposed) (last *fakeRecord) {
	now := time.Now().UnixNano() / 100
	for _, p := range ps {
		t := p.eventType
		if t == "" {
			t = eventType
		}
		r := &fakeRecord{
			id: p.id, stream: stream, revision: uint64(len(l.streams[stream])), position: l.next,
			eventType: t, contentType: p.contentType, created: now, data: p.data, meta: p.meta,
		}
		if r.contentType == "" {
			r.contentType = "application/json"
		}
		// Record size in a notional log: a header plus the payload.
		l.next += 80 + uint64(len(stream)+len(t)+len(p.data)+len(p.meta))
		l.byPos[r.position] = len(l.all)
		l.all = append(l.all, r)
		l.streams[stream] = append(l.streams[stream], r)
		last = r
	}
	close(l.changed)
	l.changed = make(chan struct{})
	return last
}

// fakeServer serves a fakeLog over gRPC on 127.0.0.1.
type fakeServer struct {
	api.UnimplementedStreamsServer
	log  *fakeLog
	addr string

	mu  sync.Mutex
	srv *grpc.Server

	appends       atomic.Int64 // Append calls received
	subscriptions atomic.Int64 // subscriptions to $all started
	// beforeAppend, if set, runs inside Append after the request was read
	// and before it is checked; tests use it to slip in a concurrent write.
	beforeAppend atomic.Pointer[func(stream string)]
	// notLeaderReads and notLeaderAppends are how many of the next reads
	// and appends answer "not leader", naming this node as the leader, the
	// way a follower redirects a client.
	notLeaderReads, notLeaderAppends atomic.Int32
	// stalled makes reads and appends hang, unanswered, until the caller
	// gives up, like a node that accepts connections but never replies;
	// stalledCalls counts them.
	stalled      atomic.Bool
	stalledCalls atomic.Int64
}

// stall hangs a call while f.stalled is set, until the caller's deadline
// or cancellation ends it.
func (f *fakeServer) stall(ctx context.Context) error {
	if !f.stalled.Load() {
		return nil
	}
	f.stalledCalls.Add(1)
	<-ctx.Done()
	return status.FromContextError(ctx.Err()).Err()
}

// redirect answers a call as a follower would while *n > 0.
func (f *fakeServer) redirect(ctx context.Context, n *atomic.Int32) error {
	if n.Add(-1) < 0 {
		n.Add(1)
		return nil
	}
	host, port, _ := net.SplitHostPort(f.addr)
	_ = grpc.SetTrailer(ctx, metadata.Pairs("exception", "not-leader",
		"leader-endpoint-host", host, "leader-endpoint-port", port))
	return status.Error(codes.NotFound, "Leader info available")
}

// startFakeServer starts a node on an ephemeral port and stops it when the
// test ends.
func startFakeServer(t testing.TB) *fakeServer {
	t.Helper()
	f := &fakeServer{log: newFakeLog()}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = lis.Addr().String()
	f.serve(lis)
	t.Cleanup(f.stop)
	return f
}

// connString is how the adapter reaches the node. Discovery is made quick
// so tests of a stopped node do not wait for the production defaults.
func (f *fakeServer) connString() string {
	return "esdb://" + f.addr + "?tls=false&maxDiscoverAttempts=3&discoveryInterval=50&gossipTimeout=1"
}

func (f *fakeServer) serve(lis net.Listener) {
	srv := grpc.NewServer(grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
		MinTime: 5 * time.Second, PermitWithoutStream: true, // the client pings every 10s
	}))
	api.RegisterStreamsServer(srv, f)
	featuresapi.RegisterServerFeaturesServer(srv, fakeFeatures{})
	gossipapi.RegisterGossipServer(srv, fakeGossip{addr: f.addr})
	f.mu.Lock()
	f.srv = srv
	f.mu.Unlock()
	go func() { _ = srv.Serve(lis) }()
}

// stop drops every connection and stream, like a node going down. The log
// is kept for restart.
func (f *fakeServer) stop() {
	f.mu.Lock()
	srv := f.srv
	f.srv = nil
	f.mu.Unlock()
	if srv != nil {
		srv.Stop()
	}
}

// restart serves the same log on the same address again.
func (f *fakeServer) restart(t testing.TB) {
	t.Helper()
	var lis net.Listener
	var err error
	for range 50 { // the port may take a moment to be free again
		if lis, err = net.Listen("tcp", f.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("restart fake server on %s: %v", f.addr, err)
	}
	f.serve(lis)
}

// Append implements Streams.Append.
func (f *fakeServer) Append(stream api.Streams_AppendServer) error {
	f.appends.Add(1)
	if err := f.stall(stream.Context()); err != nil {
		return err
	}
	req, err := stream.Recv()
	if err != nil {
		return err
	}
	opts := req.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "first message must carry options")
	}
	name := string(opts.GetStreamIdentifier().GetStreamName())
	var ps []fakeProposed
	size := 0
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		m := req.GetProposedMessage()
		if m == nil {
			return status.Error(codes.InvalidArgument, "expected a proposed message")
		}
		id, err := fromProtoUUID(m.GetId())
		if err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		size += len(m.GetData()) + len(m.GetCustomMetadata())
		ps = append(ps, fakeProposed{
			id: id, eventType: m.GetMetadata()["type"], contentType: m.GetMetadata()["content-type"],
			data: m.GetData(), meta: m.GetCustomMetadata(),
		})
	}
	// Like the server, answer only once the whole request is in.
	if err := f.redirect(stream.Context(), &f.notLeaderAppends); err != nil {
		return err
	}
	if size > fakeMaxAppendSize {
		return status.Errorf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", fakeMaxAppendSize)
	}
	if hook := f.beforeAppend.Load(); hook != nil {
		(*hook)(name)
	}

	l := f.log
	l.mu.Lock()
	defer l.mu.Unlock()
	current := int64(len(l.streams[name])) - 1
	if !fakeExpectationHolds(opts, current) {
		return stream.SendAndClose(&api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{
			WrongExpectedVersion: fakeWrongVersion(opts, current),
		}})
	}
	if len(ps) == 0 {
		return stream.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
			CurrentRevisionOption: &api.AppendResp_Success_NoStream{NoStream: &shared.Empty{}},
			PositionOption:        &api.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}},
		}}})
	}
	last := l.commitLocked(name, "", ps)
	return stream.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: last.revision},
		PositionOption: &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition: last.position, PreparePosition: last.position,
		}},
	}}})
}

func fakeExpectationHolds(opts *api.AppendReq_Options, current int64) bool {
	switch e := opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_NoStream:
		return current < 0
	case *api.AppendReq_Options_StreamExists:
		return current >= 0
	case *api.AppendReq_Options_Revision:
		return current >= 0 && uint64(current) == e.Revision
	default:
		return true
	}
}

func fakeWrongVersion(opts *api.AppendReq_Options, current int64) *api.AppendResp_WrongExpectedVersion {
	w := &api.AppendResp_WrongExpectedVersion{}
	if current < 0 {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(current)}
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: uint64(current)}
	}
	switch e := opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_NoStream:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case *api.AppendReq_Options_StreamExists:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	case *api.AppendReq_Options_Revision:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: e.Revision}
	}
	return w
}

func fromProtoUUID(u *shared.UUID) (uuid.UUID, error) {
	if s := u.GetStructured(); s != nil {
		return esdb.ParseUUIDFromInt64(s.GetMostSignificantBits(), s.GetLeastSignificantBits())
	}
	return uuid.Parse(u.GetString_())
}

type fakeFeatures struct {
	featuresapi.UnimplementedServerFeaturesServer
}

func (fakeFeatures) GetSupportedMethods(context.Context, *shared.Empty) (*featuresapi.SupportedMethods, error) {
	return &featuresapi.SupportedMethods{
		EventStoreServerVersion: "24.10.0",
		Methods: []*featuresapi.SupportedMethod{
			{ServiceName: "event_store.client.streams.streams", MethodName: "read"},
			{ServiceName: "event_store.client.streams.streams", MethodName: "append"},
		},
	}, nil
}

type fakeGossip struct {
	gossipapi.UnimplementedGossipServer
	addr string
}

func (g fakeGossip) Read(context.Context, *shared.Empty) (*gossipapi.ClusterInfo, error) {
	host, port, err := net.SplitHostPort(g.addr)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	p, _ := strconv.Atoi(port)
	return &gossipapi.ClusterInfo{Members: []*gossipapi.MemberInfo{{
		State:        gossipapi.MemberInfo_Leader,
		IsAlive:      true,
		HttpEndPoint: &gossipapi.EndPoint{Address: host, Port: uint32(p)},
	}}}, nil
}

// appendSystemEvent writes an event the way the server itself would, to
// check that it never reaches the ledger.
func (f *fakeServer) appendSystemEvent(stream, eventType string) {
	f.log.commit(stream, eventType, []fakeProposed{{id: uuid.New(), data: []byte(`{"system":true}`)}})
}

// appendForeign writes an event directly, bypassing the adapter.
func (f *fakeServer) appendForeign(stream, eventType string, data, meta []byte) {
	f.log.commit(stream, eventType, []fakeProposed{{id: uuid.New(), data: data, meta: meta}})
}

func (f *fakeServer) String() string { return fmt.Sprintf("fake KurrentDB at %s", f.addr) }

// recordedOf is r as the client would decode it.
func recordedOf(r *fakeRecord) *esdb.RecordedEvent {
	return &esdb.RecordedEvent{
		EventID: r.id, EventType: r.eventType, ContentType: r.contentType, StreamID: r.stream,
		EventNumber: r.revision, Position: esdb.Position{Commit: r.position, Prepare: r.position},
		CreatedDate: time.Unix(0, r.created*100).UTC(), Data: r.data, UserMetadata: r.meta,
	}
}
