package dashboard_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime/dashboard"
)

// TestBrowserRequeueAndPause drives the dashboard in a real headless
// browser against real Redis and PostgreSQL with a worker running: it
// opens the overview, follows the tenant with a dead task to its page,
// requeues the task there and sees it write its row in that tenant's
// schema; then pauses the tenant, sees a task enqueued for it wait (the
// page counts it live) while another tenant's runs, resumes it from the
// keyboard, and sees it run. It starts with the search box, which goes
// straight to the tenant it names.
func TestBrowserRequeueAndPause(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t, true, dashboard.Options{Refresh: 250 * time.Millisecond})

	e.broken.Store(true)
	id := string(e.enqueue(t, "acme", 1))
	testenv.WaitFor(t, "the task to die", func() bool { return e.dead(t) == 1 })
	e.broken.Store(false)

	deadLink := `//table[caption[contains(., "Most dead tasks")]]//a[text()="acme"]`
	run(t, ctx, "search for a tenant by its ID",
		chromedp.Navigate(e.srv.URL+"/dash/workers"),
		chromedp.SendKeys(chromedp.CSS("#tenant-search"), "globex\r"),
		chromedp.WaitVisible(`//h1[text()="Tenant globex"]`),
	)
	run(t, ctx, "open the overview and follow the tenant with a dead task",
		chromedp.Navigate(e.srv.URL+"/dash/"),
		chromedp.WaitVisible(deadLink),
	)
	requeue := chromedp.CSS(`button[aria-label="Requeue task ` + id + `"]`)
	run(t, ctx, "open the tenant's page",
		chromedp.Click(deadLink),
		chromedp.WaitVisible(requeue),
	)
	run(t, ctx, "requeue the dead task",
		chromedp.Click(requeue),
		chromedp.WaitVisible(`//p[@role="status"][contains(., "is back in queue")]`),
	)
	testenv.WaitFor(t, "the requeued task to write its row in acme's schema", func() bool { return e.written(t, "acme", 1) })
	if e.written(t, "globex", 1) {
		t.Error("the requeued task wrote its row in globex's schema")
	}

	run(t, ctx, "pause the tenant",
		chromedp.Click(chromedp.CSS(`button[aria-label="Pause tenant acme in every queue"]`)),
		chromedp.WaitVisible(`//h1[contains(., "acme")]/span[contains(@class, "paused")]`),
	)
	e.enqueue(t, "acme", 2)
	e.enqueue(t, "globex", 3)
	testenv.WaitFor(t, "globex's task to run", func() bool { return e.written(t, "globex", 3) })
	// The live region shows the waiting task without a reload.
	run(t, ctx, "see acme's task wait, live",
		chromedp.WaitVisible(`//div[@id="queues"]//tr[th[text()="`+queueName+`"]]/td[1][text()="1"]`),
	)
	if e.written(t, "acme", 2) {
		t.Fatal("acme's task ran while acme was paused")
	}
	run(t, ctx, "resume the tenant from the keyboard",
		chromedp.Focus(chromedp.CSS(`button[aria-label="Resume tenant acme in every queue"]`)),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(`//p[@role="status"][contains(., "resumed")]`),
	)
	testenv.WaitFor(t, "acme's task to run once resumed", func() bool { return e.written(t, "acme", 2) })
}
