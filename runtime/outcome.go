package runtime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/queue"
)

// ErrUnknownOutcome is what an *UnknownOutcomeError is (errors.Is): an
// enqueue failed after its tasks may have reached Redis.
var ErrUnknownOutcome = errors.New("tenantgen: enqueue outcome unknown")

// UnknownOutcomeError reports an enqueue that failed after sending, or
// while sending, its tasks to Redis: it timed out, its ctx ended, or the
// connection broke before the reply. Redis may have queued every task, some
// or none, and a hung server that resumes runs what it had received. To
// retry without risking a second copy, enqueue each task again with its ID
// from IDs (the ID option) and a unique key or window (UniqueKey, Unique):
// the retry is then a no-op if the first attempt landed. docs/failures.md
// says more.
type UnknownOutcomeError struct {
	// IDs are the IDs of the tasks whose outcome is unknown, in request
	// order: IDs[i] belongs to the i-th request, and is empty for a request
	// that was refused before anything was sent.
	IDs []TaskID
	Err error // what the Redis client reported
}

func (e *UnknownOutcomeError) Error() string {
	var sent []TaskID
	for _, id := range e.IDs {
		if id != "" {
			sent = append(sent, id)
		}
	}
	what := fmt.Sprintf("%d tasks", len(sent))
	if len(sent) == 1 {
		what = "task " + string(sent[0])
	}
	// The engine's error starts with what this message says already.
	cause := strings.TrimPrefix(fmt.Sprint(e.Err), "tenantgen: enqueue: ")
	return fmt.Sprintf("tenantgen: enqueue outcome unknown for %s: %s; Redis may or may not have queued it: to retry without a duplicate, enqueue again with the same ID (runtime.ID) and a unique key (runtime.UniqueKey or runtime.Unique), see docs/failures.md", what, cause)
}

// Is reports whether target is ErrUnknownOutcome.
func (e *UnknownOutcomeError) Is(target error) bool { return target == ErrUnknownOutcome }

// Unwrap returns the Redis client's error.
func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// execBatch sends b, whose tasks have the IDs ids ("" for the requests left
// out), and says when a failure leaves their outcome unknown: always,
// unless the tasks certainly never left this process.
func execBatch(ctx context.Context, b *queue.Batch, ids []TaskID) (map[int]string, error) {
	sending := false
	for _, id := range ids {
		sending = sending || id != ""
	}
	if err := ctx.Err(); err != nil && sending {
		return nil, fmt.Errorf("tenantgen: enqueue: %w (nothing was sent)", err)
	}
	dups, err := b.Exec(ctx)
	if err != nil && !notSent(err) {
		return nil, &UnknownOutcomeError{IDs: ids, Err: err}
	}
	return dups, err
}

// notSent reports whether err, from sending a batch, means that no command
// of the batch was written to a connection: the client could not connect,
// had no free connection, or was closed. Every other failure may come
// after the commands were written, when Redis may have run them: a timeout,
// a cancelled ctx, a broken connection, or an error reply to one command of
// a pipeline whose other commands ran.
func notSent(err error) bool {
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Op == "dial":
		return true
	case errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrClosed):
		return true
	}
	return false
}
