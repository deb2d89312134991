package ledger

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/haixi-hrss/fundledger/eventstore"
)

// UniqueKey is a key that at most one owner may hold at a time, such as
// "one expansion grant per person, ever". Stream names its reservation
// stream ("uniq-<rule>-<key hash>"); domain/uniqueness.Key satisfies it.
type UniqueKey interface {
	Stream() string
}

// Reserve makes owner (e.g. "claim-42") the holder of key. It relies on the
// store's concurrency control, not on a lookup, so of any number of
// concurrent owners exactly one wins:
//
//   - an unreserved key is reserved by appending UniqueKeyReserved with
//     expected version NoStream;
//   - a key held by another owner returns a *DuplicateError naming it;
//   - a key already held by owner returns nil (a retry is harmless);
//   - a released key is reserved again with the exact version of its
//     release, so re-reservation is as race-free as the first one.
//
// Reserve records no actor: it is for tools and tests holding a key
// outside any command. The ledger's own steps record the actor, role,
// correlation and cause of the command or event that made them reserve.
func (s *Service) Reserve(ctx context.Context, key UniqueKey, owner string) error {
	return s.reserve(ctx, key, owner, eventstore.Metadata{})
}

// freshReservation is the append that reserves key for owner when its
// stream does not exist yet: NoStream, under an event ID of its own. A
// derived ID would not do: the store acknowledges an append of an event
// it already holds as a retry, so owner's first reservation appended again
// with NoStream would "succeed" after owner had released the key. A retry
// whose acknowledgement was lost finds owner holding the key instead.
func freshReservation(key UniqueKey, owner string, cause eventstore.Metadata) (eventstore.StreamAppend, error) {
	stream, err := reservationStream(key, owner)
	if err != nil {
		return eventstore.StreamAppend{}, err
	}
	ev, err := record(uuid.New(), UniqueKeyReserved{Owner: owner}, cause)
	if err != nil {
		return eventstore.StreamAppend{}, err
	}
	return eventstore.StreamAppend{Stream: stream, Expected: eventstore.NoStream, Events: []eventstore.EventData{ev}}, nil
}

// reserve is Reserve, recording cause as the reservation's metadata.
func (s *Service) reserve(ctx context.Context, key UniqueKey, owner string, cause eventstore.Metadata) error {
	// Most keys are new: claim the stream at once.
	fresh, err := freshReservation(key, owner, cause)
	if err != nil {
		return err
	}
	stream := fresh.Stream
	switch _, err := s.store.Append(ctx, stream, fresh.Expected, fresh.Events...); {
	case err == nil:
		return nil
	case !isConcurrency(err):
		return fmt.Errorf("ledger: reserve %s for %s: %w", stream, owner, err)
	}
	for attempt := 1; ; attempt++ {
		// The stream exists: its last event says who holds the key.
		last, err := s.lastReservation(ctx, stream)
		if err != nil {
			return err
		}
		expected, next := eventstore.NoStream, uint64(0)
		switch {
		case !last.exists:
		case last.released:
			expected, next = eventstore.Exact(last.version), last.version+1
		case last.owner == owner:
			return nil
		default:
			return &DuplicateError{Stream: stream, Owner: last.owner}
		}
		ev, err := record(reservationID("reserve", stream, owner, next), UniqueKeyReserved{Owner: owner}, cause)
		if err != nil {
			return err
		}
		_, err = s.store.Append(ctx, stream, expected, ev)
		switch {
		case err == nil:
			return nil
		case !isConcurrency(err):
			return fmt.Errorf("ledger: reserve %s for %s: %w", stream, owner, err)
		case attempt >= s.maxAttempts:
			return &ConflictError{Stream: stream, Attempts: attempt, Last: err}
		}
	}
}

// Release gives up owner's hold on key, for a claim that was rejected or
// cancelled, so another owner may reserve it. Releasing a key owner already
// released returns nil; a key held by someone else, or never reserved,
// returns an error matching ErrNotOwner.
// Like Reserve, it records no actor; the ledger's own steps use release.
func (s *Service) Release(ctx context.Context, key UniqueKey, owner, reason string) error {
	return s.release(ctx, key, owner, reason, eventstore.Metadata{})
}

// release is Release, recording cause as the release's metadata.
func (s *Service) release(ctx context.Context, key UniqueKey, owner, reason string, cause eventstore.Metadata) error {
	stream, err := reservationStream(key, owner)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		last, err := s.lastReservation(ctx, stream)
		if err != nil {
			return err
		}
		switch {
		case !last.exists:
			return fmt.Errorf("%w: %s was never reserved", ErrNotOwner, stream)
		case last.owner != owner:
			return fmt.Errorf("%w: %s is held by %s, not %s", ErrNotOwner, stream, last.owner, owner)
		case last.released:
			return nil
		}
		ev, err := record(reservationID("release", stream, owner, last.version+1),
			UniqueKeyReleased{Owner: owner, Reason: reason}, cause)
		if err != nil {
			return err
		}
		_, err = s.store.Append(ctx, stream, eventstore.Exact(last.version), ev)
		if err == nil {
			return nil
		}
		if !isConcurrency(err) {
			return fmt.Errorf("ledger: release %s for %s: %w", stream, owner, err)
		}
		if attempt >= s.maxAttempts {
			return &ConflictError{Stream: stream, Attempts: attempt, Last: err}
		}
	}
}

// Holder returns the current owner of key, or "" if nobody holds it.
func (s *Service) Holder(ctx context.Context, key UniqueKey) (string, error) {
	stream, err := keyStream(key)
	if err != nil {
		return "", err
	}
	last, err := s.lastReservation(ctx, stream)
	if err != nil || last.released {
		return "", err
	}
	return last.owner, nil
}

// reservation is the state of a reservation stream, which its last event
// alone determines.
type reservation struct {
	exists   bool
	version  uint64
	owner    string
	released bool
}

func (s *Service) lastReservation(ctx context.Context, stream string) (reservation, error) {
	evs, err := s.store.ReadStreamBackward(ctx, stream, 1)
	if err != nil {
		return reservation{}, fmt.Errorf("ledger: read %s: %w", stream, err)
	}
	if len(evs) == 0 {
		return reservation{}, nil
	}
	r := reservation{exists: true, version: evs[0].Version}
	switch evs[0].Type {
	case UniqueKeyReserved{}.EventType():
		rec, err := decodeRecord[UniqueKeyReserved](&evs[0])
		r.owner = rec.Owner
		return r, err
	case UniqueKeyReleased{}.EventType():
		rec, err := decodeRecord[UniqueKeyReleased](&evs[0])
		r.owner, r.released = rec.Owner, true
		return r, err
	}
	return reservation{}, fmt.Errorf("ledger: %s version %d: unexpected event type %s in a reservation stream",
		stream, evs[0].Version, evs[0].Type)
}

func reservationStream(key UniqueKey, owner string) (string, error) {
	if owner == "" {
		return "", errors.New("ledger: a reservation needs an owner")
	}
	return keyStream(key)
}

func keyStream(key UniqueKey) (string, error) {
	if key == nil {
		return "", errors.New("ledger: nil uniqueness key")
	}
	stream := key.Stream()
	if err := eventstore.ValidateStreamName(stream); err != nil {
		return "", fmt.Errorf("ledger: uniqueness stream %q: %w", stream, err)
	}
	return stream, nil
}

// reservationID derives the ID of a release, or of a reservation after a
// release, from what it records, so an owner's retry of an append whose
// acknowledgement was lost is recognised by the store as the same event.
// (A key's first reservation has an ID of its own; see reserve.)
func reservationID(op, stream, owner string, version uint64) uuid.UUID {
	return uuid.NewSHA1(eventIDSpace, []byte(op+"\x00"+stream+"\x00"+owner+"\x00"+strconv.FormatUint(version, 10)))
}
