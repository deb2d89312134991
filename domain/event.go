package domain

// Event is a fact an aggregate decided. Events are immutable once recorded;
// a change to an event's shape adds a new schema version and an upcaster,
// never a rewrite of history.
type Event interface {
	// EventType is the past-tense name the event is stored under, e.g.
	// "ClaimSubmitted". It is unique across the whole domain.
	EventType() string
}
