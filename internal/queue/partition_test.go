package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// TestPartitionsOnCluster splits a queue into partitions on a real 3-node
// Redis Cluster: the partitions land on different nodes, a worker serves
// them all (the scripts build lane names inside Lua, in each partition's
// slot), and Stats, DeadTasks and RequeueDead cover every partition.
func TestPartitionsOnCluster(t *testing.T) {
	t.Parallel()
	addrs := testenv.RedisCluster(t)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { cc.Close() })
	ctx := t.Context()
	cfg := testConfig(t, cc)
	const parts = 6
	cfg.Partitions = map[string]int{"default": parts}
	cfg.Concurrency = 8
	c := NewClient(cc, cfg)

	nodes := map[string][]int{}
	for i := range parts {
		node, err := cc.MasterForKey(ctx, queueKeys(cfg.Prefix, "default", i).ring)
		if err != nil {
			t.Fatal(err)
		}
		nodes[node.Options().Addr] = append(nodes[node.Options().Addr], i)
	}
	if len(nodes) < 2 {
		t.Fatalf("the %d partitions all live on one node: %v", parts, nodes)
	}
	t.Logf("partitions by node: %v", nodes)

	var mu sync.Mutex
	runs := map[string]int{}
	startWorker(t, c, funcRunner(func(_ context.Context, e *Envelope) error {
		mu.Lock()
		runs[e.ID]++
		mu.Unlock()
		if strings.Contains(string(e.Args), "doomed") {
			return Permanent(errors.New("doomed"))
		}
		return nil
	}))
	used := map[int]bool{}
	var envs []*Envelope
	for i := range 60 {
		tenant := fmt.Sprint("tenant-", i%20)
		args := "{}"
		if i < 20 && i%4 == 0 {
			args = `{"doomed":true}`
		}
		envs = append(envs, env("t.part", tenant, "default", args))
		used[partitionOf(tenant, parts)] = true
	}
	envs = append(envs, env("t.part", "", "default", "{}"))
	if len(used) < 3 {
		t.Fatalf("the test's tenants use only partitions %v", used)
	}
	enqueue(t, c, envs...)
	testenv.WaitFor(t, "every task", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(runs) == len(envs)
	})
	var dead []DeadTask
	testenv.WaitFor(t, "the doomed tasks dead and the rest settled", func() bool {
		st, err := c.Stats(ctx, "default")
		if err != nil || st != (Stats{Dead: 5}) {
			return false
		}
		dead, err = c.DeadTasks(ctx, "default", 10)
		return err == nil && len(dead) == 5
	})
	deadParts := map[int]bool{}
	for _, d := range dead {
		deadParts[partitionOf(d.Tenant, parts)] = true
	}
	if len(deadParts) < 2 {
		t.Errorf("dead tasks came from partitions %v; the test wants several", deadParts)
	}
	for i := 1; i < len(dead); i++ {
		if dead[i].Died.After(dead[i-1].Died) {
			t.Errorf("DeadTasks is not newest first: %v after %v", dead[i].Died, dead[i-1].Died)
		}
	}
	// Requeue one from a partition other than 0.
	var requeue DeadTask
	for _, d := range dead {
		if partitionOf(d.Tenant, parts) > 0 {
			requeue = d
		}
	}
	if err := c.RequeueDead(ctx, "default", requeue.ID); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "the requeued task to run again and die again", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return runs[requeue.ID] == 2
	})
	testenv.WaitFor(t, "the queue settled", func() bool {
		st, err := c.Stats(ctx, "default")
		return err == nil && st == Stats{Dead: 5}
	})
	for i := range parts {
		k := queueKeys(cfg.Prefix, "default", i)
		if n, err := cc.Exists(ctx, k.ring).Result(); err != nil || n != 0 {
			t.Errorf("partition %d: ring left behind (%d, %v)", i, n, err)
		}
	}
}
