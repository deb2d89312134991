package kurrent

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// clientSettings are the connection-string settings the client parses
// (lower case, as it compares them).
var clientSettings = map[string]bool{
	"discoveryinterval": true, "gossiptimeout": true, "maxdiscoverattempts": true, "nodepreference": true,
	"keepaliveinterval": true, "keepalivetimeout": true, "tls": true, "tlscafile": true,
	"usercertfile": true, "userkeyfile": true, "tlsverifycert": true, "defaultdeadline": true,
}

// parseConnString parses connString into the client's configuration
// without letting the client print. esdb.ParseConnectionString logs with
// its console logger (log.Printf to stderr) before any logger of ours can
// be set: on an unknown setting, and on a keep-alive interval under 10 s.
// So unknown settings are refused here (a misspelt "tls=false" would
// otherwise be ignored and TLS used), and keepAliveInterval is taken out
// and applied here, with the warning on log. It also refuses a
// defaultDeadline the client would silently turn into a zero deadline.
func parseConnString(connString string, log *slog.Logger) (*esdb.Configuration, error) {
	base, query, _ := strings.Cut(connString, "?")
	values, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("connection string settings: %w", unquote(err))
	}
	var keepAlive *time.Duration
	for key, vals := range values {
		name := strings.ToLower(key)
		if !clientSettings[name] {
			return nil, fmt.Errorf("connection string: unknown setting %q", key)
		}
		if len(vals) == 0 {
			continue
		}
		switch name {
		case "defaultdeadline":
			if ms, err := strconv.Atoi(vals[0]); err != nil || ms < 1 {
				return nil, fmt.Errorf("connection string: %s=%q: want a number of milliseconds greater than zero", key, vals[0])
			}
		case "keepaliveinterval":
			ms, err := strconv.Atoi(vals[0])
			if err != nil || ms < -1 {
				return nil, fmt.Errorf("connection string: %s=%q: want milliseconds, or -1 to disable", key, vals[0])
			}
			d := time.Duration(ms) * time.Millisecond
			if ms == -1 {
				d = -1
			} else if d < 10*time.Second {
				log.Warn("keepAliveInterval is below the recommended 10000 ms", "keepAliveInterval", ms)
			}
			keepAlive = &d
			values.Del(key)
		}
	}
	if keepAlive != nil {
		connString = base
		if len(values) > 0 {
			connString += "?" + values.Encode()
		}
	}
	cfg, err := esdb.ParseConnectionString(connString)
	if err != nil {
		return nil, fmt.Errorf("connection string: %w", unquote(err))
	}
	if keepAlive != nil {
		cfg.KeepAliveInterval = *keepAlive
	}
	return cfg, nil
}

// unquote drops the quoted input from a *url.Error, which would repeat the
// whole connection string, password included.
func unquote(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// CheckConnString reports whether Open would accept connString, without
// contacting a server: the scheme, hosts and settings are checked.
func CheckConnString(connString string) error {
	if _, err := parseConnString(connString, slog.New(slog.DiscardHandler)); err != nil {
		return fmt.Errorf("kurrent: %w", err)
	}
	return nil
}
