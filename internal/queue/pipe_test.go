package queue

import (
	"testing"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// TestFetchAfterScriptFlush: a fetch that finds its script missing from
// the server (restarted, flushed, a new node, a deploy with a new script)
// delivers what the script moves in the same call: execPipe loads the
// scripts and runs the fetch again after the read that followed it, so
// fetchNow reads again.
func TestFetchAfterScriptFlush(t *testing.T) {
	rdb := testenv.PrivateRedis(t) // a flush of the shared one would touch every test's scripts
	c := NewClient(rdb, testConfig(t, rdb))
	ctx := t.Context()
	w := NewWorker(c, nil)
	if err := rdb.XGroupCreateMkStream(ctx, w.parts[0].k.stream, group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	enqueue(t, c, env("t.flush", "acme", "default", "{}"))
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	list, err := w.fetchNow(ctx, nil, w.parts, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("first fetch after SCRIPT FLUSH = %d tasks, %v; want the task", len(list), err)
	}
}
