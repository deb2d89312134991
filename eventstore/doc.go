// Package eventstore defines the port every fundledger storage backend
// implements: append-only streams with optimistic concurrency, a global log
// in commit order, catch-up subscriptions, and the per-stream hash chain that
// lets an auditor prove nothing was altered.
//
// The port is deliberately small so it can be implemented twice: by the
// embedded SQLite store (the default) and by KurrentDB. Every backend must
// pass the conformance suite in package storetest.
package eventstore
