package dashboard_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/dashboard"
)

var (
	thRE      = regexp.MustCompile(`<th\b[^>]*>`)
	tableRE   = regexp.MustCompile(`<table>\s*(<caption>)?`)
	controlRE = regexp.MustCompile(`<(input|select)\b[^>]*>`)
	idRE      = regexp.MustCompile(`\bid="([^"]+)"`)
)

// TestAccessibilityBasics: every page has one h1, a skip link and a
// labelled navigation; every table has a caption and headers with a
// scope; every visible form control has a label that names it.
func TestAccessibilityBasics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, dashboard.Options{})
	id := e.enqueue(t, "acme", 1, runtime.Delay(time.Hour))
	c := client(t)
	pages := []string{"/dash/", "/dash/tenants", "/dash/tenants/acme?state=scheduled", "/dash/tasks?queue=" + queueName + "&state=scheduled", "/dash/tasks/" + queueName + "/" + string(id), "/dash/workers", "/dash/scheduler"}
	for _, path := range pages {
		t.Run(path, func(t *testing.T) {
			status, page := get(t, c, e, path)
			if status != http.StatusOK {
				t.Fatalf("GET %s: %d", path, status)
			}
			if n := strings.Count(page, "<h1"); n != 1 {
				t.Errorf("%d h1 headings, want 1", n)
			}
			for _, want := range []string{`<a class="skip" href="#main">`, `<nav aria-label="Dashboard">`, `<main id="main"`, `<html lang="en">`} {
				if !strings.Contains(page, want) {
					t.Errorf("no %s", want)
				}
			}
			for _, th := range thRE.FindAllString(page, -1) {
				if !strings.Contains(th, "scope=") {
					t.Errorf("table header without a scope: %s", th)
				}
			}
			for _, m := range tableRE.FindAllStringSubmatch(page, -1) {
				if m[1] == "" {
					t.Errorf("a table without a caption")
				}
			}
			for _, ctl := range controlRE.FindAllString(page, -1) {
				if strings.Contains(ctl, `type="hidden"`) {
					continue
				}
				m := idRE.FindStringSubmatch(ctl)
				if m == nil || !strings.Contains(page, `for="`+m[1]+`"`) {
					t.Errorf("a form control without a label: %s", ctl)
				}
			}
		})
	}
}
