package auth

import (
	"os"
	"sync"
	"time"
)

// reloadEvery is how often Reloading looks at the tokens file: a revoked
// token stops working within this time.
const reloadEvery = time.Second

// Reloading verifies tokens against a tokens file and picks up its changes
// (new and revoked tokens) while the server runs.
type Reloading struct {
	path string

	mu      sync.Mutex
	tokens  *Tokens
	checked time.Time
	mod     time.Time
	size    int64
}

// Watch loads the tokens file at path and returns a verifier that reloads
// it when it changes.
func Watch(path string) (*Reloading, error) {
	r := &Reloading{path: path}
	if err := r.reload(time.Now()); err != nil {
		return nil, err
	}
	return r, nil
}

// reload reads the file if its modification time or size changed. A file
// that cannot be read keeps the tokens loaded before: updates replace the
// file atomically, so this is a passing fault, not a half-written file.
func (r *Reloading) reload(now time.Time) error {
	r.checked = now
	st, err := os.Stat(r.path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	var mod time.Time
	var size int64
	if err == nil {
		mod, size = st.ModTime(), st.Size()
	}
	if r.tokens != nil && mod.Equal(r.mod) && size == r.size {
		return nil
	}
	t, err := Load(r.path)
	if err != nil {
		return err
	}
	r.tokens, r.mod, r.size = t, mod, size
	return nil
}

// Verify implements the API's token check on the file's current content.
func (r *Reloading) Verify(token string) (Principal, bool) {
	r.mu.Lock()
	now := time.Now()
	if now.Sub(r.checked) >= reloadEvery {
		_ = r.reload(now) // on error the previous tokens stay in force
	}
	t := r.tokens
	r.mu.Unlock()
	return t.Verify(token)
}
