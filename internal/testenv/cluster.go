package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// RedisCluster starts a Redis Cluster of three primaries, without replicas,
// from the redis-server binary on PATH, and returns the addresses of its
// nodes. The nodes listen on loopback, keep their files in a temporary
// directory and are stopped when the test ends. Node i serves the i-th third
// of the hash slots.
//
// A cluster costs about a second to form, so tests that need one should
// share it. When redis-server is not installed the test is skipped, saying
// so: unlike the servers of Redis and Postgres, which every environment of
// this project provides, the binary may be missing where a Redis server
// runs elsewhere (a container, a managed service).
func RedisCluster(t testing.TB) []string {
	t.Helper()
	server, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("testenv: redis-server is not installed, so no Redis Cluster can be started for this test (Debian/Ubuntu: apt-get install redis-server)")
	}
	dir := t.TempDir()
	addrs := make([]string, 3)
	for i := range addrs {
		addrs[i] = startClusterNode(t, server, dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clients := make([]*redis.Client, len(addrs))
	for i, addr := range addrs {
		clients[i] = redis.NewClient(&redis.Options{Addr: addr})
		defer clients[i].Close()
	}
	per := clusterSlots / len(addrs)
	for i, c := range clients {
		lo, hi := i*per, (i+1)*per-1
		if i == len(clients)-1 {
			hi = clusterSlots - 1
		}
		slots := make([]int, 0, hi-lo+1)
		for s := lo; s <= hi; s++ {
			slots = append(slots, s)
		}
		if err := c.ClusterAddSlots(ctx, slots...).Err(); err != nil {
			t.Fatalf("testenv: cluster node %s: CLUSTER ADDSLOTS: %v", addrs[i], err)
		}
	}
	for _, addr := range addrs[1:] {
		host, port, _ := net.SplitHostPort(addr)
		if err := clients[0].ClusterMeet(ctx, host, port).Err(); err != nil {
			t.Fatalf("testenv: cluster node %s: CLUSTER MEET %s: %v", addrs[0], addr, err)
		}
	}
	err = poll(ctx, func() error {
		for i, c := range clients {
			info, err := c.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			for _, want := range []string{"cluster_state:ok", "cluster_slots_ok:16384", "cluster_known_nodes:3"} {
				if !strings.Contains(info, want) {
					return fmt.Errorf("node %s: no %q in CLUSTER INFO", addrs[i], want)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("testenv: the Redis Cluster did not form: %v", err)
	}
	return addrs
}

// startClusterNode starts a cluster-enabled redis-server on a free loopback
// port, stopped when the test ends, and returns its address once it answers.
func startClusterNode(t testing.TB, server, dir string) string {
	t.Helper()
	var last error
	for range 5 {
		port, err := freeClusterPort()
		if err != nil {
			last = err
			continue
		}
		p := strconv.Itoa(port)
		logFile := filepath.Join(dir, "redis-"+p+".log")
		cmd := exec.Command(server,
			"--port", p, "--bind", "127.0.0.1", "--protected-mode", "no",
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes-"+p+".conf",
			"--dir", dir, "--save", "", "--appendonly", "no", "--logfile", logFile)
		cmd.SysProcAttr = nodeProcAttr()
		if err := cmd.Start(); err != nil {
			t.Fatalf("testenv: start %s: %v", server, err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			cmd.Process.Kill()
			<-exited
		})
		addr := "127.0.0.1:" + p
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		err = poll(ctx, func() error {
			select {
			case <-exited:
				return fmt.Errorf("redis-server exited (port taken?)")
			default:
			}
			return c.Ping(ctx).Err()
		})
		cancel()
		c.Close()
		if err == nil {
			return addr
		}
		last = err
		if b, rerr := os.ReadFile(logFile); rerr == nil {
			last = fmt.Errorf("%w; its log:\n%s", err, b)
		}
	}
	t.Fatalf("testenv: could not start a cluster node: %v", last)
	return ""
}

// freeClusterPort returns a loopback port that is free, as is the port
// 10000 above it, which the node's cluster bus takes.
func freeClusterPort() (int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		if port+10000 > 65535 {
			l.Close()
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		l.Close()
		if err != nil {
			continue
		}
		bus.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no free pair of ports for a cluster node and its bus")
}
