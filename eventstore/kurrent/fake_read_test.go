package kurrent

// The read side of fakeServer: stream and $all reads, $all subscriptions
// and read filters. See fake_server_test.go for what the fake models.

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Read implements Streams.Read: stream reads, $all reads and $all
// subscriptions.
func (f *fakeServer) Read(req *api.ReadReq, out api.Streams_ReadServer) error {
	if err := f.redirect(out.Context(), &f.notLeaderReads); err != nil {
		return err
	}
	if err := f.stall(out.Context()); err != nil {
		return err
	}
	o := req.GetOptions()
	match, err := fakeFilter(o)
	if err != nil {
		return err
	}
	backwards := o.GetReadDirection() == api.ReadReq_Options_Backwards
	switch {
	case o.GetSubscription() != nil && o.GetAll() != nil:
		return f.subscribeAll(o.GetAll(), match, out)
	case o.GetSubscription() != nil:
		return status.Error(codes.Unimplemented, "the fake server only subscribes to $all")
	case o.GetStream() != nil:
		recs, found := f.readStream(o.GetStream(), backwards, o.GetCount())
		if !found {
			return out.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
				StreamIdentifier: o.GetStream().GetStreamIdentifier(),
			}}})
		}
		return sendAll(out, recs)
	case o.GetAll() != nil:
		recs, err := f.readAll(o.GetAll(), backwards, o.GetCount(), match)
		if err != nil {
			return err
		}
		return sendAll(out, recs)
	}
	return status.Error(codes.InvalidArgument, "no stream option")
}

func sendAll(out api.Streams_ReadServer, recs []*fakeRecord) error {
	for _, r := range recs {
		if err := out.Send(fakeEvent(r)); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeServer) readStream(o *api.ReadReq_Options_StreamOptions, backwards bool, count uint64) ([]*fakeRecord, bool) {
	l := f.log
	l.mu.Lock()
	defer l.mu.Unlock()
	recs, ok := l.streams[string(o.GetStreamIdentifier().GetStreamName())]
	if !ok {
		return nil, false
	}
	var out []*fakeRecord
	if backwards {
		i := int64(len(recs)) - 1
		if r, ok := o.GetRevisionOption().(*api.ReadReq_Options_StreamOptions_Revision); ok {
			i = min(i, int64(r.Revision))
		} else if o.GetStart() != nil {
			i = 0
		}
		for ; i >= 0 && uint64(len(out)) < count; i-- {
			out = append(out, recs[i])
		}
		return out, true
	}
	i := uint64(0)
	if r, ok := o.GetRevisionOption().(*api.ReadReq_Options_StreamOptions_Revision); ok {
		i = r.Revision
	} else if o.GetEnd() != nil {
		i = uint64(len(recs))
	}
	for ; i < uint64(len(recs)) && uint64(len(out)) < count; i++ {
		out = append(out, recs[i])
	}
	return out, true
}

// allIndex returns the index in l.all where a forward read from o starts:
// inclusive of a record at the position. Callers hold l.mu.
func (l *fakeLog) allIndex(o *api.ReadReq_Options_AllOptions) (int, error) {
	switch {
	case o.GetStart() != nil:
		return 0, nil
	case o.GetEnd() != nil:
		return len(l.all), nil
	}
	p := o.GetPosition()
	if p.GetCommitPosition() != p.GetPreparePosition() {
		return 0, status.Error(codes.InvalidArgument, "Trying to read from an invalid position.")
	}
	if i, ok := l.byPos[p.GetCommitPosition()]; ok {
		return i, nil
	}
	if p.GetCommitPosition() == l.next {
		return len(l.all), nil
	}
	return 0, status.Error(codes.InvalidArgument, "Trying to read from an invalid position.")
}

func (f *fakeServer) readAll(o *api.ReadReq_Options_AllOptions, backwards bool, count uint64, match func(*fakeRecord) bool) ([]*fakeRecord, error) {
	l := f.log
	l.mu.Lock()
	defer l.mu.Unlock()
	i, err := l.allIndex(o)
	if err != nil {
		return nil, err
	}
	var out []*fakeRecord
	if backwards {
		for i--; i >= 0 && uint64(len(out)) < count; i-- {
			if match(l.all[i]) {
				out = append(out, l.all[i])
			}
		}
		return out, nil
	}
	for ; i < len(l.all) && uint64(len(out)) < count; i++ {
		if match(l.all[i]) {
			out = append(out, l.all[i])
		}
	}
	return out, nil
}

// subscribeAll serves a catch-up subscription to $all until the client goes
// away or the server stops.
func (f *fakeServer) subscribeAll(o *api.ReadReq_Options_AllOptions, match func(*fakeRecord) bool, out api.Streams_ReadServer) error {
	f.subscriptions.Add(1)
	l := f.log
	l.mu.Lock()
	i, err := l.allIndex(o)
	if err == nil && o.GetPosition() != nil && i < len(l.all) && l.all[i].position == o.GetPosition().GetCommitPosition() {
		i++ // a subscription's start position is exclusive
	}
	l.mu.Unlock()
	if err != nil {
		return err
	}
	if err := out.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{
		SubscriptionId: uuid.NewString(),
	}}}); err != nil {
		return err
	}
	caughtUp := false
	for {
		l.mu.Lock()
		batch := l.all[i:len(l.all):len(l.all)]
		changed := l.changed
		l.mu.Unlock()
		for _, r := range batch {
			if match(r) {
				if err := out.Send(fakeEvent(r)); err != nil {
					return err
				}
			}
		}
		i += len(batch)
		if !caughtUp {
			caughtUp = true
			if err := out.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		select {
		case <-changed:
		case <-out.Context().Done():
			return out.Context().Err()
		}
	}
}

// fakeFilter builds the predicate of a read's filter option.
func fakeFilter(o *api.ReadReq_Options) (func(*fakeRecord) bool, error) {
	fo := o.GetFilter()
	if fo == nil {
		return func(*fakeRecord) bool { return true }, nil
	}
	expr, onType := fo.GetEventType(), true
	if expr == nil {
		expr, onType = fo.GetStreamIdentifier(), false
	}
	var re *regexp.Regexp
	if expr.GetRegex() != "" {
		var err error
		if re, err = regexp.Compile(expr.GetRegex()); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "filter regex: %v", err)
		}
	}
	prefixes := expr.GetPrefix()
	return func(r *fakeRecord) bool {
		s := r.stream
		if onType {
			s = r.eventType
		}
		if re != nil {
			return re.MatchString(s)
		}
		for _, p := range prefixes {
			if strings.HasPrefix(s, p) {
				return true
			}
		}
		return false
	}, nil
}

func fakeEvent(r *fakeRecord) *api.ReadResp {
	most, least := esdb.UUIDAsInt64(r.id)
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id: &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
				MostSignificantBits: most, LeastSignificantBits: least,
			}}},
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  r.position,
			CommitPosition:   r.position,
			Metadata: map[string]string{
				"type":         r.eventType,
				"content-type": r.contentType,
				"created":      strconv.FormatInt(r.created, 10),
			},
			CustomMetadata: r.meta,
			Data:           r.data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.position},
	}}}
}
