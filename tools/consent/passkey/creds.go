package passkey

// Where the passkeys live: a file of the user's (0600 in a 0700 folder,
// replaced atomically), or one record in the shared state store, sealed
// with the state key and bound to its key name.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/qualys-cs-mcp/qualys-cs-mcp/client/state"
)

const (
	maxPasskeys  = 100     // in one file or store
	maxFileBytes = 1 << 20 // a passkeys file larger than this is refused unread
	sharedKey    = "passkeys"
	forever      = 100 * 365 * 24 * time.Hour // the store's records all expire; this one not in practice
	lockWait     = 5 * time.Second
	lockStale    = 30 * time.Second // a file lock older than this was left by a process that died
)

// EnvFile names the passkeys file.
const EnvFile = "QUALYS_MCP_PASSKEYS"

// DefaultFile is the passkeys file: QUALYS_MCP_PASSKEYS, else
// qualys-cs-mcp/passkeys.json in the user's config folder.
func DefaultFile(getenv func(string) string) (string, error) {
	if p := strings.TrimSpace(getenv("QUALYS_MCP_PASSKEYS")); p != "" { // EnvFile
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no folder for the passkeys file (set %s): %w", EnvFile, err)
	}
	return filepath.Join(dir, "qualys-cs-mcp", "passkeys.json"), nil
}

// creds is where the passkeys are kept. update runs f on the current list
// under a lock and stores what it returns, unless it fails.
type creds interface {
	load(ctx context.Context) ([]Passkey, error)
	update(ctx context.Context, f func([]Passkey) ([]Passkey, error)) error
	where() string
}

// record is what is stored: a version, and the passkeys.
type record struct {
	Version  int       `json:"version"`
	Passkeys []Passkey `json:"passkeys"`
}

func decode(raw []byte, where string) ([]Passkey, error) {
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("the passkeys in %s cannot be read: %v", where, err)
	}
	if r.Version != 1 || len(r.Passkeys) > maxPasskeys {
		return nil, fmt.Errorf("the passkeys in %s cannot be read: version %d, %d passkeys", where, r.Version, len(r.Passkeys))
	}
	slices.SortFunc(r.Passkeys, func(a, b Passkey) int { return strings.Compare(a.Name, b.Name) })
	return r.Passkeys, nil
}

func encode(all []Passkey) ([]byte, error) {
	if len(all) > maxPasskeys {
		return nil, fmt.Errorf("at most %d passkeys may be enrolled", maxPasskeys)
	}
	return json.MarshalIndent(record{Version: 1, Passkeys: all}, "", "  ")
}

// fileCreds keeps the passkeys in a file of the user's.
type fileCreds struct {
	path string
	mu   sync.Mutex // this process's writers; the lock file holds off others
}

func (f *fileCreds) where() string { return f.path }

func (f *fileCreds) load(context.Context) ([]Passkey, error) {
	file, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the passkeys: %w", err)
	}
	defer file.Close()
	if fi, err := file.Stat(); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("the passkeys file %s is writable by others (mode %v): refused; make it 0600", f.path, fi.Mode().Perm())
	}
	raw, err := io.ReadAll(io.LimitReader(file, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the passkeys: %w", err)
	}
	if len(raw) > maxFileBytes {
		return nil, fmt.Errorf("the passkeys file %s is larger than %d bytes: refused", f.path, maxFileBytes)
	}
	return decode(raw, f.path)
}

func (f *fileCreds) update(ctx context.Context, change func([]Passkey) ([]Passkey, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("the passkeys' folder: %w", err)
	}
	if fi, err := os.Stat(dir); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("the passkeys' folder %s is writable by others (mode %v): refused; make it 0700", dir, fi.Mode().Perm())
	}
	lock := f.path + ".lock"
	err := waitLock(ctx, "the passkeys file is locked by another process ("+lock+")", func() (bool, error) {
		l, err := os.OpenFile(lock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			return true, l.Close()
		}
		if fi, serr := os.Stat(lock); serr == nil && time.Since(fi.ModTime()) > lockStale {
			os.Remove(lock) // left by a process that died
		} else if !errors.Is(err, fs.ErrExist) {
			return false, fmt.Errorf("locking the passkeys: %w", err)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	defer os.Remove(lock)
	raw, err := apply(ctx, f, change)
	if err != nil {
		return err
	}
	return writeAtomic(f.path, raw)
}

// writeAtomic replaces path with raw: a 0600 file beside it, synced, then
// renamed over it, so a reader sees the old list or the new one.
func writeAtomic(path string, raw []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".passkeys-*.tmp") // 0600
	if err != nil {
		return fmt.Errorf("writing the passkeys: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing
	_, err = tmp.Write(raw)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing the passkeys: %w", err)
	}
	return nil
}

// waitLock calls take until it holds the lock, for at most lockWait.
func waitLock(ctx context.Context, busy string, take func() (bool, error)) error {
	deadline := time.Now().Add(lockWait)
	for {
		ok, err := take()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New(busy)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// apply runs change on the passkeys c holds, and encodes its answer.
func apply(ctx context.Context, c creds, change func([]Passkey) ([]Passkey, error)) ([]byte, error) {
	all, err := c.load(ctx)
	if err != nil {
		return nil, err
	}
	if all, err = change(all); err != nil {
		return nil, err
	}
	return encode(all)
}

// sharedCreds keeps the passkeys in the shared state store: one record,
// sealed and bound to its key, changed under the store's lock.
type sharedCreds struct{ store state.Store }

func (s *sharedCreds) where() string { return "the shared state store" }

func (s *sharedCreds) load(ctx context.Context) ([]Passkey, error) {
	raw, ok, err := s.store.Get(ctx, sharedKey)
	switch {
	case errors.Is(err, state.ErrTampered):
		return nil, fmt.Errorf("the passkeys in the shared state store are refused: %w", err)
	case err != nil:
		return nil, err
	case !ok:
		return nil, nil
	}
	return decode(raw, s.where())
}

func (s *sharedCreds) update(ctx context.Context, change func([]Passkey) ([]Passkey, error)) error {
	unlock := func() {}
	err := waitLock(ctx, "the passkeys in the shared state store are being changed by another process; try again", func() (ok bool, err error) {
		unlock, ok, err = s.store.Lock(ctx, sharedKey, lockWait)
		return ok, err
	})
	if err != nil {
		return err
	}
	defer unlock()
	raw, err := apply(ctx, s, change)
	if err != nil {
		return err
	}
	return s.store.Put(ctx, sharedKey, raw, forever)
}
