package queue

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// TestLimitsCounts: the counts of capped lanes follow exactly the tasks
// that run. The fetch counts only the entries it adds (not an oversize
// element it dead-letters); an acknowledgement that XACK takes only partly
// (an entry was settled meanwhile) counts down only the entries it really
// acknowledged; a lane's field is deleted at zero.
func TestLimitsCounts(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	cfg := testConfig(t, rdb)
	c := NewClient(rdb, cfg) // no MaxPayload: enqueues the oversize task
	ctx := t.Context()
	for _, s := range scripts {
		if err := s.Load(ctx, rdb).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.SetTaskLimits(ctx, []string{"default"}, map[string]Limits{"t.c": {Concurrency: 10}}, nil); err != nil {
		t.Fatal(err)
	}
	small := cfg
	small.MaxPayload = 200
	w := NewWorker(NewClient(rdb, small), nil)
	k := w.parts[0].k
	if err := rdb.XGroupCreateMkStream(ctx, k.stream, group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	const lane = "a:t.c"
	count := func() string {
		t.Helper()
		return laneCount(t, rdb, k, lane)
	}

	big := `{"pad":"` + strings.Repeat("x", 300) + `"}`
	enqueue(t, c, env("t.c", "a", "default", "{}"), env("t.c", "a", "default", big),
		env("t.c", "a", "default", "{}"), env("t.c", "a", "default", "{}"), env("t.c", "a", "default", "{}"))
	list, err := w.fetchNow(ctx, nil, w.parts, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 {
		t.Fatalf("fetched %d tasks, want 4 (the oversize one dead-lettered)", len(list))
	}
	for _, d := range list {
		if !d.counted || d.lane != lane {
			t.Fatalf("delivery counted=%v lane=%q, want counted in lane %q", d.counted, d.lane, lane)
		}
	}
	if diff := cmp.Diff("4", count()); diff != "" {
		t.Errorf("count after the fetch (-want +got):\n%s", diff)
	}
	// A listpack would be searched lane by lane (markRun).
	if enc, err := rdb.ObjectEncoding(ctx, k.base+"run").Result(); err != nil || enc != "hashtable" {
		t.Errorf("the hash of counts is encoded %q (%v), want a hashtable", enc, err)
	}

	// The first task fails for good meanwhile: it counts down once, by
	// its settle, however often it is acknowledged afterwards.
	w.settle(list[0], nil, "dead", "boom")
	if diff := cmp.Diff("3", count()); diff != "" {
		t.Errorf("count after a settle (-want +got):\n%s", diff)
	}
	for i, acks := range [][]*delivery{list[:3], list[:3], list[3:]} {
		if err := w.sendAcks(ctx, acks); err != nil {
			t.Fatal(err)
		}
		want := []string{"1", "1", "absent"}[i]
		if diff := cmp.Diff(want, count()); diff != "" {
			t.Errorf("count after acknowledgement %d (-want +got):\n%s", i+1, diff)
		}
	}
	if n, err := rdb.XLen(ctx, k.stream).Result(); err != nil || n != 0 {
		t.Errorf("stream holds %d entries, %v; want none", n, err)
	}
	if n, err := rdb.Exists(ctx, k.base+"run").Result(); err != nil || n != 0 {
		t.Errorf("the hash of counts exists (%d, %v) with nothing running, want it deleted", n, err)
	}
	if n, err := rdb.ZCard(ctx, k.dead).Result(); err != nil || n != 2 {
		t.Errorf("dead letter set holds %d, %v; want 2 (the oversize task, the failed one)", n, err)
	}
}

// TestLimitsCountsOthersEntries: counted entries that another worker's
// fetch added to the stream (here by hand, as every version writes them:
// the lane in l, "1" in c) count down when this worker acknowledges them,
// and when it reclaims them from a dead worker. In a rolling upgrade the
// other worker may run an earlier version.
func TestLimitsCountsOthersEntries(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	cfg := testConfig(t, rdb)
	ctx := t.Context()
	c := NewClient(rdb, cfg)
	if err := c.SetTaskLimits(ctx, []string{"default"}, map[string]Limits{"t.c": {Concurrency: 10}}, nil); err != nil {
		t.Fatal(err)
	}
	w := NewWorker(c, nil)
	k := w.parts[0].k
	if err := rdb.XGroupCreateMkStream(ctx, k.stream, group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	const lane = "a:t.c"
	// As another worker's fetch left them: two entries counted.
	for range 2 {
		e := env("t.c", "a", "default", "{}")
		data, err := e.encode()
		if err != nil {
			t.Fatal(err)
		}
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: k.stream, Values: []string{"e", data, "l", lane, "c", "1"}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.HSet(ctx, k.base+"run", lane, 2).Err(); err != nil {
		t.Fatal(err)
	}
	count := func() string {
		t.Helper()
		return laneCount(t, rdb, k, lane)
	}

	// This worker reads the first; a dead one the second.
	list, err := w.fetchNow(ctx, nil, w.parts, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || !list[0].counted || list[0].lane != lane {
		t.Fatalf("read %d deliveries (%+v), want one counted in lane %q", len(list), list, lane)
	}
	if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "dead", Streams: []string{k.stream, ">"}, Count: 1, Block: -1}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.sendAcks(ctx, list); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("1", count()); diff != "" {
		t.Errorf("count after the acknowledgement (-want +got):\n%s", diff)
	}
	// As reclaim does once the dead worker's entries have been idle long
	// enough.
	pending, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: k.stream, Group: group, Start: "-", End: "+", Count: 10, Consumer: "dead"}).Result()
	if err != nil || len(pending) != 1 {
		t.Fatalf("the dead worker holds %d entries (%v), want 1", len(pending), err)
	}
	args := []any{k.base, group, w.id, 0, time.Now().UnixMilli(), cfg.DeadMaxLen, 0, "1", pending[0].ID}
	if err := reclaimScript.Run(ctx, rdb, []string{k.stream}, args...).Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("absent", count()); diff != "" {
		t.Errorf("count after the reclaim (-want +got):\n%s", diff)
	}
	if n, err := rdb.LLen(ctx, k.lane(lane)).Result(); err != nil || n != 1 {
		t.Errorf("lane %q holds %d tasks (%v), want the reclaimed one", lane, n, err)
	}
}

// laneCount returns the running count of lane in k's partition, "absent"
// if it has none.
func laneCount(t *testing.T, rdb *redis.Client, k keys, lane string) string {
	t.Helper()
	n, err := rdb.HGet(t.Context(), k.base+"run", lane).Result()
	if err == redis.Nil {
		return "absent"
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}
