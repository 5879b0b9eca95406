package state

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/redis/go-redis/v9"
)

// OnError calls failed with the Redis command's name (get, set, evalsha,
// pipeline...) each time a command fails: Redis did not answer, or
// answered an error. An absent key is no failure, nor a call its caller
// gave up, nor a script Redis asks to be sent whole. Every user of the store is seen (throttle, token, guard,
// sessions, event streams). Call it before the store is used.
func (r *Redis) OnError(failed func(op string)) {
	r.rdb.AddHook(errorHook{failed})
}

type errorHook struct{ failed func(op string) }

func (h errorHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (h errorHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.seen(ctx, strings.ToLower(cmd.Name()), err)
		return err
	}
}

func (h errorHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.seen(ctx, "pipeline", err)
		return err
	}
}

func (h errorHook) seen(ctx context.Context, op string, err error) {
	// NOSCRIPT: a script not cached yet, which go-redis sends again whole
	if err != nil && !errors.Is(err, redis.Nil) && !redis.HasErrorPrefix(err, "NOSCRIPT") && ctx.Err() == nil {
		h.failed(op)
	}
}
