package runtime_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
)

// TestSignedDeadline checks that the deadline of a signed task is signed:
// moving it in Redis, as a way to dead-letter the task, makes the task
// refused as altered; and that RequeueDead, which clears it, signs the task
// again so that it runs.
func TestSignedDeadline(t *testing.T) {
	t.Parallel()
	key := runtime.SigningKey{ID: "k1", Secret: bytes.Repeat([]byte("d"), 32)}
	b := setupQueue(t, func(c *runtime.Config) { c.SigningKeys = []runtime.SigningKey{key} })
	var ran atomic.Int64
	task := runtime.NewTask(runtime.TaskSpec{Name: "test.deadline", Retries: runtime.NoRetries}, func(context.Context, signArgs) error {
		ran.Add(1)
		return nil
	})
	if err := b.reg.Register(task); err != nil {
		t.Fatal(err)
	}
	ctx := runtime.WithTenant(t.Context(), "acme")
	later := time.Now().Add(time.Hour)
	moved, err := task.Enqueue(ctx, b.app, signArgs{Case: "moved"}, runtime.Deadline(later))
	if err != nil {
		t.Fatal(err)
	}
	tamper(t, b, `"case":"moved"`, fmt.Sprintf(`"dl":%d`, later.UnixMilli()), `"dl":1`)
	expired, err := task.Enqueue(ctx, b.app, signArgs{Case: "expired"}, runtime.Deadline(time.Now().Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	b.run(t)

	dead := map[runtime.TaskID]string{}
	testenv.WaitFor(t, "both tasks in the dead letter set", func() bool {
		list, err := b.app.DeadTasks(t.Context(), "default", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list {
			dead[d.ID] = d.Error
		}
		return len(dead) == 2
	})
	if got := dead[moved]; !strings.Contains(got, "signature does not match") {
		t.Errorf("the task whose deadline was moved died with %q, want a signature mismatch", got)
	}
	if got := dead[expired]; !strings.Contains(got, "passed before the task could start") {
		t.Errorf("the expired task died with %q, want its deadline passed", got)
	}
	if n := ran.Load(); n != 0 {
		t.Fatalf("%d tasks ran, want none", n)
	}

	// Requeued, without its deadline, and signed again: it runs.
	if err := b.app.RequeueDead(t.Context(), "default", expired); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, "the requeued task to run", func() bool { return ran.Load() == 1 })
	// The altered one cannot be laundered through RequeueDead.
	wantError(t, b.app.RequeueDead(t.Context(), "default", moved), "signature does not match")
}
