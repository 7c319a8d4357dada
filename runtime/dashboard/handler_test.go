package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/dashboard"
)

// client is a browser-like HTTP client of the dashboard: it keeps cookies
// and does not follow redirects, so that tests see them.
func client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get fetches path from the dashboard's server and returns the status and
// the body.
func get(t *testing.T, c *http.Client, e *env, path string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

var tokenRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token returns the CSRF token of the first form of a page.
func token(t *testing.T, page string) string {
	t.Helper()
	m := tokenRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	return m[1]
}

// post posts form to an action and returns the response, closed.
func post(t *testing.T, c *http.Client, e *env, action string, form url.Values, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", e.srv.URL+"/dash/actions/"+action, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// paused returns the tenants paused in the test's queue.
func paused(t *testing.T, e *env) []string {
	t.Helper()
	st, err := e.app.Paused(context.Background(), queueName)
	if err != nil {
		t.Fatal(err)
	}
	return st.Tenants[queueName]
}

// TestActionsNeedTheFormsToken: a POST without the token of a form the
// dashboard served, with a forged one, or from another origin, is refused
// with 403 and does nothing; the form's own POST pauses the tenant and
// sends the browser back to the form's page.
func TestActionsNeedTheFormsToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, dashboard.Options{})
	c := client(t)
	status, page := get(t, c, e, "/dash/tenants/acme")
	if status != http.StatusOK {
		t.Fatalf("GET tenant page: %d\n%s", status, page)
	}
	tok := token(t, page)
	form := func(tok string) url.Values {
		return url.Values{"tenant": {"acme"}, "queue": {queueName}, "csrf": {tok}, "back": {"/dash/tenants/acme"}}
	}
	refused := []struct {
		name   string
		c      *http.Client
		form   url.Values
		header []string
	}{
		{"no token", c, form(""), nil},
		{"forged token", c, form("AAAA" + tok[4:]), nil},
		{"token without its cookie", client(t), form(tok), nil},
		{"cross-site request", c, form(tok), []string{"Sec-Fetch-Site", "cross-site"}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			res := post(t, tc.c, e, "pause", tc.form, tc.header...)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("POST pause: status %d, want 403", res.StatusCode)
			}
			if got := paused(t, e); len(got) != 0 {
				t.Errorf("paused tenants after a refused POST: %q, want none", got)
			}
		})
	}
	res := post(t, c, e, "pause", form(tok))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST pause with the form's token: status %d, want 303", res.StatusCode)
	}
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/dash/tenants/acme?done=") {
		t.Errorf("redirected to %q, want the tenant's page with a message", loc)
	}
	if diff := cmp.Diff([]string{"acme"}, paused(t, e)); diff != "" {
		t.Errorf("paused tenants (-want +got):\n%s", diff)
	}
}

// TestReadOnly: a read-only dashboard shows no form that acts and refuses
// every POST, even one with a valid token.
func TestReadOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, dashboard.Options{ReadOnly: true})
	e.enqueue(t, "acme", 1)
	c := client(t)
	for _, path := range []string{"/dash/", "/dash/tenants/acme", "/dash/tasks?queue=" + queueName} {
		status, page := get(t, c, e, path)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, status, page)
		}
		if strings.Contains(page, `method="post"`) {
			t.Errorf("GET %s: the read-only page has a POST form", path)
		}
	}
	res := post(t, c, e, "pause", url.Values{"tenant": {"acme"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("POST pause: status %d, want 403", res.StatusCode)
	}
	if got := paused(t, e); len(got) != 0 {
		t.Errorf("paused tenants: %q, want none", got)
	}
}

var linkRE = regexp.MustCompile(`(?:href|action|src)="([^"]*)"`)

// TestBasePath: every link, form and asset of every page is under the base
// path, the assets are served there, the base path without its slash
// redirects to the overview, and the back field of a form never sends the
// browser off the dashboard.
func TestBasePath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, dashboard.Options{})
	id := e.enqueue(t, "acme", 1)
	c := client(t)
	pages := []string{"/dash/", "/dash/tenants", "/dash/tenants?q=ac", "/dash/tenants/acme", "/dash/tasks", "/dash/tasks/" + queueName + "/" + string(id), "/dash/workers", "/dash/scheduler"}
	for _, path := range pages {
		t.Run(path, func(t *testing.T) {
			status, page := get(t, c, e, path)
			if status != http.StatusOK {
				t.Fatalf("GET %s: %d\n%s", path, status, page)
			}
			for _, m := range linkRE.FindAllStringSubmatch(page, -1) {
				if !strings.HasPrefix(m[1], "/dash/") && !strings.HasPrefix(m[1], "#") {
					t.Errorf("GET %s: link %q is not under /dash/", path, m[1])
				}
			}
		})
	}
	for path, want := range map[string]int{"/dash/assets/style.css": 200, "/dash/assets/live.js": 200, "/dash/nope": 404, "/dash/tenants/nobody": 404} {
		if status, _ := get(t, c, e, path); status != want {
			t.Errorf("GET %s: %d, want %d", path, status, want)
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/dash", nil)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode/100 != 3 || loc != "/dash/" {
		t.Errorf("GET /dash: %d to %q, want a redirect to /dash/", res.StatusCode, loc)
	}

	_, page := get(t, c, e, "/dash/tenants/acme")
	tok := token(t, page)
	for _, back := range []string{"//elsewhere.test/x", "https://elsewhere.test/", "/other/", "/dash/tenants/acme"} {
		res := post(t, c, e, "resume", url.Values{"tenant": {"acme"}, "csrf": {tok}, "back": {back}})
		loc := res.Header.Get("Location")
		want := "/dash/?done="
		if back == "/dash/tenants/acme" {
			want = back + "?done="
		}
		if !strings.HasPrefix(loc, want) {
			t.Errorf("back %q: redirected to %q, want %s...", back, loc, want)
		}
	}
}

// TestSchedulerPage: the scheduler page shows the leader and each entry
// with its timing and target.
func TestSchedulerPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true, dashboard.Options{}, func(cfg *runtime.Config) {
		cfg.Schedule.Entries = []runtime.Entry{{Name: "nightly", Task: "dash.Write", Args: []byte(`{"n":5}`), Cron: "0 3 * * *", Tenants: []string{"acme"}}}
	})
	c := client(t)
	var page string
	testenv.WaitFor(t, "a scheduler to lead", func() bool {
		var status int
		status, page = get(t, c, e, "/dash/scheduler")
		return status == http.StatusOK && !strings.Contains(page, "no scheduler is running")
	})
	for _, want := range []string{"nightly@acme", "0 3 * * *", "dash.Write"} {
		if !strings.Contains(page, want) {
			t.Errorf("the scheduler page does not show %q:\n%s", want, page)
		}
	}
}

// TestTenantLimitsShown: the tenant page shows the limits a tenant has of
// its own in a queue, and the queue's defaults elsewhere.
func TestTenantLimitsShown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, dashboard.Options{})
	l := runtime.Limits{Weight: 3, Concurrency: 2, Rate: runtime.Rate{Starts: 20, Per: time.Second}}
	if err := e.app.SetTenantLimits(context.Background(), queueName, "acme", l); err != nil {
		t.Fatal(err)
	}
	_, page := get(t, client(t), e, "/dash/tenants/acme")
	for _, want := range []string{"weight 3, at most 2 at once, rate 20/1s", "the queue's"} {
		if !strings.Contains(page, want) {
			t.Errorf("the tenant page does not show %q:\n%s", want, page)
		}
	}
}

// TestOverviewOldestReady: the overview shows the age of a queue's oldest
// ready task, and a dash while every ready task is a paused tenant's,
// which App.OldestReady leaves out.
func TestOverviewOldestReady(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, dashboard.Options{})
	cell := regexp.MustCompile(`<a href="/dash/tasks\?queue=dash&amp;state=dead">0</a></td>\s*<td class="num">([^<]*)</td>`)
	oldest := func() string {
		t.Helper()
		_, page := get(t, client(t), e, "/dash/")
		m := cell.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no oldest ready cell in the overview:\n%s", page)
		}
		return m[1]
	}
	if err := e.app.PauseTenant(context.Background(), "acme", queueName); err != nil {
		t.Fatal(err)
	}
	e.enqueue(t, "acme", 1)
	if got := oldest(); got != "—" {
		t.Errorf("oldest ready with only a paused tenant's task = %q, want —", got)
	}
	e.enqueue(t, "globex", 2)
	if got := oldest(); !regexp.MustCompile(`^\d+m?s$`).MatchString(got) {
		t.Errorf("oldest ready = %q, want an age", got)
	}
}

// TestOverviewOutbox: the overview shows the outbox's rows and the age of
// the oldest when the App has an outbox, and no Outbox box when it has
// none.
func TestOverviewOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, page := get(t, client(t), newEnv(t, false, dashboard.Options{}), "/dash/")
	if strings.Contains(page, `id="outbox"`) {
		t.Errorf("the overview of an App without an outbox shows one:\n%s", page)
	}

	e := newEnv(t, false, dashboard.Options{}, func(c *runtime.Config) { c.Outbox.DB = "default" })
	if err := e.app.CreateOutboxTable(ctx, ""); err != nil {
		t.Fatal(err)
	}
	pool, _ := e.app.Pool("default")
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for n := range 2 {
		if _, err := e.task.Enqueue(runtime.WithTenant(ctx, "acme"), e.app.Tx(tx), writeArgs{N: n}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	_, page = get(t, client(t), e, "/dash/")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`<h2 id="outbox-h">Outbox</h2>`),
		regexp.MustCompile(`<strong id="outbox-rows">2</strong>`),
		regexp.MustCompile(`<strong id="outbox-age">\d+m?s</strong>`),
	} {
		if !want.MatchString(page) {
			t.Errorf("the overview does not match %s:\n%s", want, page)
		}
	}
}
