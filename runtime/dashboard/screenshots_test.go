package dashboard_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/dashboard"
)

// TestBrowserScreenshots takes the screenshots of docs/dashboard.md from
// the real pages of a busy application: five tenants, dead tasks (one of
// them a panic), a paused tenant with a backlog, delayed tasks and a
// running worker. It runs only with -screenshots:
//
//	go test ./runtime/dashboard -run TestBrowserScreenshots -screenshots ../../docs/img
func TestBrowserScreenshots(t *testing.T) {
	if *screenshots == "" {
		t.Skip("takes screenshots only with -screenshots DIR")
	}
	ctx := browser(t)
	e := newEnv(t, true, dashboard.Options{})
	for _, id := range []string{"initech", "umbrella", "hooli"} {
		e.addTenant(t, id)
	}
	for n := range 40 {
		e.enqueue(t, []string{"acme", "globex", "initech", "umbrella", "hooli"}[n%5], 100+n)
	}
	testenv.WaitFor(t, "the first tasks to run", func() bool {
		st, err := e.app.Stats(context.Background(), queueName)
		return err == nil && st.Ready+st.Running+st.Scheduled == 0
	})
	e.broken.Store(true)
	for n := range 4 {
		e.enqueue(t, "acme", n)
	}
	e.enqueue(t, "initech", 7)
	panicked := e.enqueue(t, "acme", -120)
	testenv.WaitFor(t, "the tasks to die", func() bool { return e.dead(t) == 6 })
	e.broken.Store(false)
	if err := e.app.SetTenantLimits(context.Background(), queueName, "acme", runtime.Limits{Weight: 2, Concurrency: 4}); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Inspector().PauseTenant(context.Background(), "globex"); err != nil {
		t.Fatal(err)
	}
	for n := range 25 {
		e.enqueue(t, "globex", 200+n)
	}
	for n := range 5 {
		e.enqueue(t, "umbrella", 300+n, runtime.Delay(time.Duration(n+1)*time.Hour))
	}

	testenv.WaitFor(t, "the workers to report the attempts", func() bool {
		mins, err := e.app.Inspector().History(context.Background(), queueName, time.Now().Add(-time.Hour))
		var done, failed int64
		for _, m := range mins {
			done, failed = done+m.Processed, failed+m.Failed
		}
		return err == nil && done >= 46 && failed >= 6
	})

	pages := []struct{ name, path, wait string }{
		{"overview", "/dash/", `//table[caption[contains(., "Most dead tasks")]]//a[text()="acme"]`},
		{"tenant", "/dash/tenants/acme", `//button[contains(@aria-label, "Requeue task")]`},
		{"task", "/dash/tasks/" + queueName + "/" + string(panicked), `//h2[text()="Panic stack"]`},
		{"tenants", "/dash/tenants", `//a[text()="globex"]`},
		{"workers", "/dash/workers", `//tbody/tr/th`},
	}
	for _, p := range pages {
		run(t, ctx, "open "+p.path, chromedp.Navigate(e.srv.URL+p.path), chromedp.WaitVisible(p.wait))
		shot(t, ctx, p.name)
	}
}
