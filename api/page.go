package api

import (
	"encoding/base64"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
)

// Page sizes of every list.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Page is the body of every list: the items and, when more follow, the
// opaque cursor of the next page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// pageQuery is a decoded ?cursor=&limit=.
type pageQuery struct {
	after string // the sort key of the last item already returned
	limit int
}

const cursorPrefix = "c1:"

// parsePage reads the cursor and limit query parameters.
func parsePage(c echo.Context) (pageQuery, error) {
	limit, err := queryInt(c, "limit", DefaultLimit)
	if err != nil {
		return pageQuery{}, err
	}
	if limit < 1 || limit > MaxLimit {
		return pageQuery{}, errParam("limit", "range", "limit must be between 1 and %d", MaxLimit)
	}
	q := pageQuery{limit: limit}
	if cur := c.QueryParam("cursor"); cur != "" {
		b, err := base64.RawURLEncoding.DecodeString(cur)
		key, ok := strings.CutPrefix(string(b), cursorPrefix)
		if err != nil || !ok || key == "" {
			return pageQuery{}, errParam("cursor", "cursor", "the cursor is not one this server issued")
		}
		q.after = key
	}
	return q, nil
}

func encodeCursor(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + key))
}

// paginate returns the page of items after q's cursor. Items must be in
// ascending order of key, and key must be unique: the cursor is the last
// returned item's key, so items added or removed between pages neither
// repeat nor shift the rest.
func paginate[T any](items []T, key func(T) string, q pageQuery) Page[T] {
	start := sort.Search(len(items), func(i int) bool { return key(items[i]) > q.after })
	end := min(start+q.limit, len(items))
	next := ""
	if end < len(items) {
		next = key(items[end-1])
	}
	return cutPage(items[start:end], next)
}

// cutPage is the body of a page already cut: its items and, unless
// nextKey is empty, the cursor to read on after nextKey.
func cutPage[T any](items []T, nextKey string) Page[T] {
	p := Page[T]{Items: items}
	if p.Items == nil {
		p.Items = []T{}
	}
	if nextKey != "" {
		p.NextCursor = encodeCursor(nextKey)
	}
	return p
}
