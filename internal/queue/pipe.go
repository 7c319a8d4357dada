package queue

import (
	"context"
	"strings"

	"github.com/redis/go-redis/v9"
)

// scripts are every script that pipelines run by SHA (EVALSHA), and that
// execPipe loads when the server lacks them.
var scripts = []*redis.Script{enqueueScript, uniqueScript, fetchScript, ackCountedScript, relayScript}

// execPipe sends pipe. Pipelines run scripts by SHA, to send a script's
// body once per server rather than once per task; when the server lacks
// them (a restart, SCRIPT FLUSH, a new node), execPipe loads them and sends
// again the commands that failed for that reason alone: those did nothing.
// It returns the first error of the commands, as Exec does, and whether it
// sent some again: the commands that followed those then ran before them,
// so a read that follows a script saw nothing the script did.
func execPipe(ctx context.Context, rdb redis.UniversalClient, pipe redis.Pipeliner) (resent bool, err error) {
	cmds, err := pipe.Exec(ctx)
	if err == nil {
		return false, nil
	}
	var again []redis.Cmder
	for _, c := range cmds {
		if isNoScript(c.Err()) {
			again = append(again, c)
		}
	}
	if len(again) == 0 {
		return false, err
	}
	for _, s := range scripts {
		if lerr := s.Load(ctx, rdb).Err(); lerr != nil {
			return false, err
		}
	}
	retry := rdb.Pipeline()
	for _, c := range again {
		retry.Process(ctx, c)
	}
	retry.Exec(ctx)
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			return true, err
		}
	}
	return true, nil
}

// isNoScript reports whether err is Redis's reply to EVALSHA for a script
// that it does not have.
func isNoScript(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") }
