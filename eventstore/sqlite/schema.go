package sqlite

import (
	"database/sql/driver"
	"fmt"

	"github.com/haixi-hrss/fundledger/eventstore"
)

const (
	// FileName is the SQLite database file inside the data directory.
	FileName = "ledger.db"
	// ApplicationID is stored in the SQLite header (PRAGMA application_id)
	// to mark the file as a fundledger ledger: the ASCII bytes "FLDG".
	ApplicationID = 0x464c4447
	// FormatVersion is the storage format this build reads and writes,
	// stored as PRAGMA user_version. A new layout gets a new number and an
	// explicit migration; Open never rewrites a file on its own. Version 2
	// dropped version 1's UNIQUE index on event_id (see retry.go).
	FormatVersion = 2
)

// schemaV2 creates format version 2. Every envelope field has its own
// column so an auditor can query the ledger with the plain sqlite3 shell;
// docs/storage.md describes each column.
//
// The only index besides the position (the rowid) is
// UNIQUE(stream_id, version), and every event rewrites a page of it at a
// random place in the file, so its keys are kept short: streams gives each
// stream name a small integer. The name stays in events too, as the
// column the hash covers and auditors read; stream_id only serves the
// index.
const schemaV2 = `
CREATE TABLE streams (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);
CREATE TABLE events (
	position        INTEGER PRIMARY KEY,
	stream          TEXT    NOT NULL,
	stream_id       INTEGER NOT NULL REFERENCES streams (id),
	version         INTEGER NOT NULL,
	event_id        TEXT    NOT NULL,
	type            TEXT    NOT NULL,
	schema_version  INTEGER NOT NULL,
	data            TEXT    NOT NULL,
	actor           TEXT    NOT NULL,
	role            TEXT    NOT NULL,
	correlation_id  TEXT    NOT NULL,
	causation_id    TEXT    NOT NULL,
	idempotency_key TEXT    NOT NULL,
	effective_date  TEXT    NOT NULL,
	policy_version  TEXT    NOT NULL,
	recorded_at     INTEGER NOT NULL,
	prev_hash       TEXT    NOT NULL,
	hash            TEXT    NOT NULL,
	UNIQUE (stream_id, version)
);
CREATE VIEW stream_heads AS
	SELECT stream, max(version) AS version, position, hash, recorded_at
	FROM events GROUP BY stream_id;
CREATE VIEW events_readable AS
	SELECT position, stream, version, event_id, type, schema_version, recorded_at,
		strftime('%Y-%m-%dT%H:%M:%S', recorded_at / 1000000, 'unixepoch')
			|| printf('.%06dZ', recorded_at % 1000000) AS recorded_at_utc,
		actor, role, effective_date, policy_version, data, hash
	FROM events;
`

// eventColumns is what every read selects: the data, and every other
// column packed by SQLite's printf into one string, "n,n,...;" followed by
// the text columns back to back. Reading each of the 17 columns on its own
// costs the driver an allocation and a boxing per column; with the packed
// form a row costs four allocations, which roughly doubles the speed of a
// full scan. The lengths are octet_length, in bytes, so decodeEvent can
// slice the text back apart and tell a mangled row from a valid one.
const eventColumns = `CAST(data AS BLOB), printf('%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d;%s%s%s%s%s%s%s%s%s%s%s%s',
	position, version, schema_version, recorded_at,
	octet_length(stream), octet_length(event_id), octet_length(type), octet_length(actor),
	octet_length(role), octet_length(correlation_id), octet_length(causation_id),
	octet_length(idempotency_key), octet_length(effective_date), octet_length(policy_version),
	octet_length(prev_hash), octet_length(hash),
	stream, event_id, type, actor, role, correlation_id, causation_id, idempotency_key,
	effective_date, policy_version, prev_hash, hash)`

// packedInts and packedTexts are the counts of numbers and of texts in the
// packed string of eventColumns: 4 integer columns, then the byte lengths
// of the 12 text columns.
const (
	packedInts  = 4
	packedTexts = 12
)

// checkFormat decides whether the open connection c holds a ledger this
// build reads. It only reads. fresh reports an empty database that Open may
// initialise.
func checkFormat(c driver.Conn) (fresh bool, err error) {
	appID, err := queryInt(c, "PRAGMA application_id")
	if err != nil {
		return false, fmt.Errorf("%w: %s is not a readable SQLite database: %v", eventstore.ErrIncompatibleFormat, FileName, err)
	}
	version, err := queryInt(c, "PRAGMA user_version")
	if err != nil {
		return false, err
	}
	objects, err := queryInt(c, "SELECT count(*) FROM sqlite_schema")
	if err != nil {
		return false, err
	}
	switch {
	case appID == 0 && version == 0 && objects == 0:
		return true, nil
	case appID != ApplicationID:
		return false, fmt.Errorf("%w: %s has application_id %#x, not a fundledger ledger (%#x)",
			eventstore.ErrIncompatibleFormat, FileName, appID, ApplicationID)
	case version != FormatVersion:
		return false, fmt.Errorf("%w: %s is format version %d; this build reads format version %d only",
			eventstore.ErrIncompatibleFormat, FileName, version, FormatVersion)
	}
	return false, nil
}
