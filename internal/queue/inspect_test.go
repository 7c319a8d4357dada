package queue

import (
	"encoding/json"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgen/tenantgen/internal/testenv"
)

// TestDeadTenant: the dead letter index reads the tenant of every shape of
// dead record: those of workers (encoding/json, envelope first), of the
// fetch's oversize elements (a head of the envelope, encoded by cjson), of
// entries without an envelope, and of public tasks.
func TestDeadTenant(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	script := redis.NewScript(deadLua + `return deadTenant(ARGV[1])`)
	record := func(env string) string {
		b, err := json.Marshal(deadRecord{Envelope: env, Error: "boom", Attempts: 1, Died: 1})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tenant := &Envelope{Version: 1, ID: "ID1", Name: "t.task", Tenant: "acme", Queue: "q", Args: json.RawMessage(`{"tenant":"evil"}`)}
	public := &Envelope{Version: 1, ID: "ID2", Name: "t.task", Queue: "q", Args: json.RawMessage(`{"tenant":"evil"}`)}
	tenantEnv, _ := tenant.encode()
	publicEnv, _ := public.encode()
	tests := []struct {
		name, record, want string
	}{
		{"tenant task", record(tenantEnv), "acme"},
		{"public task whose arguments name a tenant", record(publicEnv), "-"},
		{"oversize head, cjson-encoded", `{"e":"{\"v\":1,\"id\":\"ID3\",\"task\":\"t.task\",\"tenant\":\"globex\",\"q\":\"q\",\"args\":{\"x\":\"aaa\/","err":"too big","n":0,"died":1}`, "globex"},
		{"no envelope", `{"e":"","err":"tenantgen: undecodable task envelope","n":0,"died":1}`, "-"},
		{"another shape", `{"err":"x","e":"{\"tenant\":\"initech\",\"v\":1}"}`, "initech"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := script.Run(t.Context(), rdb, []string{"k"}, tc.record).Text()
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("deadTenant = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLaneFields: the Inspector's Lua reads the retry mark of envelopes
// whose arguments hold fields of the same names, and of elements that
// carry an interrupt count.
func TestLaneFields(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	script := redis.NewScript(lanesLua + `return isRetry(ARGV[1]) and 1 or 0`)
	tests := []struct {
		name  string
		env   Envelope
		intr  string
		retry int64
	}{
		{"plain", Envelope{Version: 1, ID: "A", Name: "t", Queue: "q", Args: json.RawMessage(`{}`), Retries: 3, Enqueued: 1700000000123}, "", 0},
		{"arguments with at and n", Envelope{Version: 1, ID: "B", Name: "t", Queue: "q", Args: json.RawMessage(`{"x":{"n":1,"r":2,"at":5}}`), Retries: 3, Enqueued: 42}, "", 0},
		{"a retry with headers", Envelope{Version: 1, ID: "C", Name: "t", Queue: "q", Args: json.RawMessage(`[1]`), Attempt: 2, Retries: 3, Enqueued: 7, Headers: map[string]string{"at": ",\"at\":9"}, Error: `,"at":9`}, "", 1},
		{"interrupted", Envelope{Version: 1, ID: "D", Name: "t", Queue: "q", Args: json.RawMessage(`{}`), Enqueued: 99}, "3", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := tc.env.encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := script.Run(t.Context(), rdb, []string{"k"}, tc.intr+data).Int64()
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.retry {
				t.Errorf("%s: isRetry %d, want %d", data, got, tc.retry)
			}
		})
	}
}
