package dashboard

import (
	"cmp"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tenantgen/tenantgen/runtime"
)

//go:embed assets templates
var files embed.FS

// Options configure a dashboard. The zero Options serve a dashboard that
// may act, mounted at the root of its server.
type Options struct {
	// BasePath is the path the dashboard is mounted under, such as
	// "/dashboard"; its links and its cookie's path start with it. The
	// handler serves requests whose path starts with it and strips it, so
	// mount it on the same path: mux.Handle("/dashboard/", h).
	BasePath string

	// ReadOnly hides every action and refuses every POST with 403
	// Forbidden: for a dashboard that people who must not change the
	// queues can see.
	ReadOnly bool

	// CSRFKey signs the tokens of the dashboard's forms. Without it each
	// handler draws a random key: set one, shared by every replica, when a
	// load balancer may send a form's POST to another process than the
	// one that served the form.
	CSRFKey []byte

	// Refresh is how often open pages refresh their live regions; 0 means
	// 2 seconds.
	Refresh time.Duration

	// PageSize is how many rows a table shows per page; 0 means 50.
	PageSize int

	// Logger logs the actions taken through the dashboard and the errors
	// it answers with; nil means slog.Default().
	Logger *slog.Logger
}

// defaults.
const (
	defaultRefresh  = 2 * time.Second
	defaultPageSize = 50
)

// handler is the dashboard.
type handler struct {
	app  *runtime.App
	insp *runtime.Inspector
	opts Options
	base string // BasePath without its trailing slash: "" at the root
	csrf *csrf
	log  *slog.Logger
	tpl  *templates
	mux  *http.ServeMux

	names names // the queue names, cached
}

// New returns the dashboard of app's queues, workers and scheduler, as an
// http.Handler to mount in the application's own server. It reads and acts
// through app.Inspector(), and reads tenants' records with app.Tenant. It
// does no authentication: wrap it in the application's middleware (see
// the package documentation). Its POSTs are refused unless they come from
// the same origin and carry the token of a form the dashboard served.
func New(app *runtime.App, opts Options) http.Handler {
	h := &handler{
		app:  app,
		insp: app.Inspector(),
		opts: opts,
		base: strings.TrimRight(opts.BasePath, "/"),
		log:  cmp.Or(opts.Logger, slog.Default()),
	}
	if h.base != "" && !strings.HasPrefix(h.base, "/") {
		h.base = "/" + h.base
	}
	h.opts.Refresh = cmp.Or(opts.Refresh, defaultRefresh)
	if h.opts.PageSize <= 0 {
		h.opts.PageSize = defaultPageSize
	}
	h.csrf = newCSRF(opts.CSRFKey, h.base+"/")
	h.tpl = mustTemplates()
	h.routes()
	return h
}

// routes registers the pages, the assets and the actions.
func (h *handler) routes() {
	m := http.NewServeMux()
	assets, _ := fs.Sub(files, "assets")
	m.Handle("GET /assets/", http.StripPrefix("/assets/", cacheAssets(http.FileServerFS(assets))))
	m.HandleFunc("GET /{$}", h.page(h.overview))
	m.HandleFunc("GET /tenants", h.page(h.tenants))
	m.HandleFunc("GET /tenants/{tenant}", h.page(h.tenant))
	m.HandleFunc("GET /tasks", h.page(h.tasks))
	m.HandleFunc("GET /tasks/{queue}/{id}", h.page(h.task))
	m.HandleFunc("GET /workers", h.page(h.workers))
	m.HandleFunc("GET /scheduler", h.page(h.scheduler))
	cop := http.NewCrossOriginProtection()
	m.Handle("POST /actions/{action}", cop.Handler(http.HandlerFunc(h.action)))
	h.mux = m
}

// ServeHTTP strips the base path and serves the dashboard.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if h.base != "" {
		rest, ok := strings.CutPrefix(p, h.base)
		if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
			http.NotFound(w, r)
			return
		}
		if rest == "" {
			http.Redirect(w, r, h.base+"/", http.StatusMovedPermanently)
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path = rest
		u.RawPath = ""
		r2.URL = &u
		r = r2
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	h.mux.ServeHTTP(w, r)
}

// cacheAssets lets browsers keep the assets for an hour.
func cacheAssets(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// link returns the dashboard's URL of path, which starts with a slash.
func (h *handler) link(path string) string { return h.base + path }
