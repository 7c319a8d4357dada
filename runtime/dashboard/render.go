package dashboard

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tenantgen/tenantgen/runtime"
)

// templates are the parsed pages: each page's file parsed with the
// layout, so that every page defines its own "content" and live regions.
type templates struct {
	pages map[string]*template.Template
}

// mustTemplates parses the embedded templates. They are part of the
// binary, so an error is a bug in this package, caught by its tests.
func mustTemplates() *templates {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		panic(err)
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html"))
	t := &templates{pages: map[string]*template.Template{}}
	for _, name := range names {
		page := strings.TrimSuffix(path.Base(name), ".html")
		if page == "layout" {
			continue
		}
		t.pages[page] = template.Must(template.Must(base.Clone()).ParseFS(files, name))
	}
	return t
}

// view is what every page template gets: the page's own data in Data, and
// what the layout needs.
type view struct {
	Page     string // the template's name, which is also the nav entry
	Title    string
	Data     any
	Base     string // the base path, without its trailing slash
	Self     string // this page's URL, for the forms to come back to
	Token    string // the CSRF token of the forms
	ReadOnly bool
	Flash    string
	FlashErr bool
	Refresh  int // milliseconds, for live.js
	// RefreshEvery is Refresh, for people.
	RefreshEvery time.Duration

	// Redirect, when set, answers with a redirect there instead of the
	// page, which is not rendered.
	Redirect string
}

// pageFunc builds the view of a page.
type pageFunc func(r *http.Request) (*view, error)

// errNotFound makes page answer 404 Not Found.
var errNotFound = errors.New("not found")

// page adapts fn to a handler: it fills the layout's fields, renders the
// page, and answers errors with a page that says what failed.
func (h *handler) page(fn pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := fn(r)
		if err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, errNotFound) {
				status = http.StatusNotFound
			} else {
				h.log.ErrorContext(r.Context(), "dashboard: page failed", "path", r.URL.Path, "err", err)
			}
			http.Error(w, err.Error(), status)
			return
		}
		if v.Redirect != "" {
			http.Redirect(w, r, v.Redirect, http.StatusSeeOther)
			return
		}
		v.Base = h.base
		v.Self = h.base + r.URL.RequestURI()
		v.ReadOnly = h.opts.ReadOnly
		v.Refresh = int(h.opts.Refresh / time.Millisecond)
		v.RefreshEvery = h.opts.Refresh
		if !h.opts.ReadOnly {
			v.Token = h.csrf.token(w, r)
		}
		v.Flash, v.FlashErr = r.URL.Query().Get("done"), false
		if msg := r.URL.Query().Get("failed"); msg != "" {
			v.Flash, v.FlashErr = msg, true
		}
		var buf bytes.Buffer
		if err := h.tpl.pages[v.Page].ExecuteTemplate(&buf, "layout.html", v); err != nil {
			h.log.ErrorContext(r.Context(), "dashboard: render failed", "page", v.Page, "err", err)
			http.Error(w, "tenantgen: dashboard: render "+v.Page+": "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(buf.Bytes())
	}
}

// pair passes a template both the page's view and a row of it.
type pair struct {
	V *view
	X any
}

// funcs are the template functions.
var funcs = template.FuncMap{
	"num":  num,
	"ago":  ago,
	"when": when,
	"dur":  dur,
	"setq": withQuery,
	"add":  func(a, b int) int { return a + b },
	"list": func(v ...any) []any { return v },
	"pair": func(v *view, x any) pair { return pair{v, x} },
	"firstLine": func(s string) string {
		line, _, _ := strings.Cut(s, "\n")
		return line
	},
	"count":   count,
	"limits":  limits,
	"nonzero": func(t time.Time) bool { return !t.IsZero() },
}

// num formats a count with thousands separators, as 1,000,000; a negative
// count, which the Inspector reports for one it could not take, is "—".
func num(v any) string {
	var n int64
	switch v := v.(type) {
	case int:
		n = int64(v)
	case int64:
		n = v
	default:
		return fmt.Sprint(v)
	}
	if n < 0 {
		return "—" // the Inspector's "too large to count"
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// ago says how long ago t was, as "3m ago"; the zero time is "never".
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	if d < 0 {
		return "in " + dur(-d)
	}
	return dur(d) + " ago"
}

// dur formats d coarsely, as people read it: 850ms, 12s, 4m10s, 3h5m, 2d4h.
func dur(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// when formats t in UTC to the second; the zero time is "—".
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// withQuery returns the URL u with the query parameters of kv set (pairs
// of name and value; an empty value deletes the parameter), for paging
// and filter links that keep the other parameters.
func withQuery(u string, kv ...any) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	q := p.Query()
	q.Del("done")
	q.Del("failed")
	for i := 0; i+1 < len(kv); i += 2 {
		k, v := fmt.Sprint(kv[i]), fmt.Sprint(kv[i+1])
		if v == "" || v == "0" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	p.RawQuery = q.Encode()
	return p.String(), nil
}

// limits describes the limits of tenant t of its own in queue, as
// "weight 3, at most 5 at once, rate 20/1s"; "" if it has none there.
func limits(t runtime.TenantInfo, queue string) string {
	l, ok := t.Limits[queue]
	if !ok {
		return ""
	}
	var parts []string
	if l.Weight > 0 {
		parts = append(parts, fmt.Sprintf("weight %d", l.Weight))
	}
	if l.Concurrency > 0 {
		parts = append(parts, fmt.Sprintf("at most %d at once", l.Concurrency))
	}
	if !l.Rate.IsZero() {
		parts = append(parts, "rate "+l.Rate.String())
	}
	if len(parts) == 0 {
		return "weight 1, no limit"
	}
	return strings.Join(parts, ", ")
}
