package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/mattn/go-sqlite3"
)

// busyTimeoutMS bounds how long a connection waits for SQLite's file locks,
// e.g. while Close's checkpoint waits for the last reader.
const busyTimeoutMS = 5000

// Every connection is used by one goroutine at a time (the writer, or the
// holder of a pooled reader), so DSNs ask for _mutex=no: SQLite's own
// per-call locking would otherwise cost a tenth of a full scan.

// dsn builds a SQLite URI for path with the driver parameters in params.
func dsn(path string, params url.Values) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + params.Encode()
}

// openConn opens one driver connection. The store talks to the driver
// directly instead of through database/sql: it keeps its own statements per
// connection and avoids database/sql's per-row conversions on the read path.
func openConn(name string) (*sqlite3.SQLiteConn, error) {
	c, err := (&sqlite3.SQLiteDriver{}).Open(name)
	if err != nil {
		return nil, err
	}
	return c.(*sqlite3.SQLiteConn), nil
}

// execSQL runs statements that take no arguments.
func execSQL(c driver.Conn, query string) error {
	_, err := c.(driver.ExecerContext).ExecContext(context.Background(), query, nil)
	return err
}

// queryInt returns the single integer a query yields.
func queryInt(c driver.Conn, query string) (int64, error) {
	rows, err := c.(driver.QueryerContext).QueryContext(context.Background(), query, nil)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	if err := rows.Next(dest); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("%s: no row", query)
		}
		return 0, err
	}
	n, ok := dest[0].(int64)
	if !ok {
		return 0, fmt.Errorf("%s: got %T, want an integer", query, dest[0])
	}
	return n, nil
}

// stmt is a statement prepared once on a connection and reused.
type stmt struct {
	s driver.Stmt
}

func prepare(c driver.Conn, query string) (stmt, error) {
	s, err := c.(driver.ConnPrepareContext).PrepareContext(context.Background(), query)
	if err != nil {
		return stmt{}, fmt.Errorf("prepare %q: %w", query, err)
	}
	return stmt{s}, nil
}

// exec runs a statement that returns no rows. It goes through the driver's
// query path, which binds all arguments and steps in one cgo call, where
// the exec path makes one call per argument.
func (s stmt) exec(ctx context.Context, args []driver.NamedValue) error {
	rows, err := s.query(ctx, args)
	if err != nil {
		return err
	}
	return rows.Close()
}

// result runs a statement that returns no rows and reports the rows it
// changed and the last rowid it inserted, through the driver's exec path
// (a call per argument, then one that steps and reads both counts):
// for a statement of one argument, such as the writer's stream insert,
// that is fewer cgo calls than the query path and its reset.
func (s stmt) result(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.s.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s stmt) query(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.s.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s stmt) close() {
	if s.s != nil {
		s.s.Close()
	}
}

// namedArgs fills args with positional values, reusing its backing array.
func namedArgs(args []driver.NamedValue, values ...driver.Value) []driver.NamedValue {
	args = args[:0]
	for i, v := range values {
		args = append(args, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	return args
}
