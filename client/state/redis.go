package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Prefix starts every key this server writes, so that it can share a Redis
// database with other programs.
const Prefix = "qualys-cs-mcp:"

// Redis is a Store on a Redis server, shared by every replica that uses it.
type Redis struct {
	rdb *redis.Client
	now func() time.Time // nil: the Redis server's clock (every replica agrees)
}

// Timeouts of one Redis round trip: a slow Redis fails a call clearly
// rather than holding it.
const (
	redisDialTimeout = time.Second
	redisIOTimeout   = time.Second
)

// NewRedis wraps a go-redis client configured from opts, with short timeouts
// and no blind retries.
func NewRedis(opts *redis.Options) *Redis {
	quietOnce.Do(func() { redis.SetLogger(quiet{}) })
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = redisDialTimeout, redisIOTimeout, redisIOTimeout
	opts.PoolTimeout = redisDialTimeout + redisIOTimeout
	opts.MaxRetries = 1 // every command below is safe to send twice
	opts.DialerRetries = 1
	opts.DisableIdentity = true
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return &Redis{rdb: redis.NewClient(opts)}
}

var quietOnce sync.Once

// quiet drops go-redis's own log lines: every failure reaches the caller as
// ErrUnavailable, and the server logs it once, its way.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func unavailable(op string, err error) error {
	return fmt.Errorf("%w (%s: %v)", ErrUnavailable, op, err)
}

func randomValue() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// setNX sets key to a fresh random value if it is absent. A retried SET
// whose first answer was lost finds its own value there: still a win.
func (r *Redis) setNX(ctx context.Context, key string, ttl time.Duration) (string, bool, error) {
	val := randomValue()
	ok, err := r.rdb.SetNX(ctx, Prefix+key, val, max(ttl, time.Millisecond)).Result()
	if err != nil {
		return "", false, unavailable("claim", err)
	}
	if !ok {
		got, err := r.rdb.Get(ctx, Prefix+key).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return "", false, unavailable("claim", err)
		}
		ok = got == val
	}
	return val, ok, nil
}

func (r *Redis) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	_, ok, err := r.setNX(ctx, key, ttl)
	return ok, err
}

func (r *Redis) Put(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if err := r.rdb.Set(ctx, Prefix+key, val, max(ttl, time.Millisecond)).Err(); err != nil {
		return unavailable("put", err)
	}
	return nil
}

func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := r.rdb.Get(ctx, Prefix+key).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, unavailable("get", err)
	}
	return b, true, nil
}

func (r *Redis) Delete(ctx context.Context, key string) error {
	if err := r.rdb.Del(ctx, Prefix+key).Err(); err != nil {
		return unavailable("delete", err)
	}
	return nil
}

// takeScript is a sliding-window count on a sorted set of send times (ms):
// forget the sends older than the window; if fewer than limit remain, add
// this one and answer 0, else answer how long until the oldest leaves it.
// Atomic on the server, so all replicas share one count.
var takeScript = redis.NewScript(`
local key, limit, window, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local now = tonumber(ARGV[4])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`)

// Take is a sliding-window count: never more than limit in any window,
// whichever replica asks.
func (r *Redis) Take(ctx context.Context, key string, limit int, window time.Duration) (time.Duration, error) {
	now := int64(-1)
	if r.now != nil {
		now = r.now().UnixMilli()
	}
	ms, err := takeScript.Run(ctx, r.rdb, []string{Prefix + key}, limit, window.Milliseconds(), randomValue(), now).Int64()
	if err != nil {
		return 0, unavailable("take", err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// unlockScript deletes a lock only while it still holds this holder's value.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

func (r *Redis) Lock(ctx context.Context, key string, ttl time.Duration) (func(), bool, error) {
	val, ok, err := r.setNX(ctx, "lock:"+key, ttl)
	if !ok || err != nil {
		return func() {}, false, err
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), redisIOTimeout)
		defer cancel()
		unlockScript.Run(ctx, r.rdb, []string{Prefix + "lock:" + key}, val) // on failure it expires by itself
	}, true, nil
}

// Ping checks that the server answers.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

func (r *Redis) Shared() bool { return true }
func (r *Redis) Close() error { return r.rdb.Close() }

// Client is the underlying go-redis client, for stores built on Redis
// types other than Store's (the HTTP event log).
func (r *Redis) Client() *redis.Client { return r.rdb }

// Wrap marks err as the store's.
func Wrap(op string, err error) error { return unavailable(op, err) }

var _ Store = (*Redis)(nil)
