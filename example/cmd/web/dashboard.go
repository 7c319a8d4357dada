package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"os"

	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/dashboard"
)

// dashboardPath is where the web server mounts tenantgen's dashboard.
const dashboardPath = "/dashboard/"

// Environment variables that protect the dashboard with HTTP basic
// authentication. Without them the dashboard is open: fine on loopback,
// where the demo runs it, never on a network.
const (
	envDashboardUser     = "TENANTGEN_DASHBOARD_USER"
	envDashboardPassword = "TENANTGEN_DASHBOARD_PASSWORD"
)

// withDashboard returns api with tenantgen's dashboard mounted at
// /dashboard/, behind basic authentication when the environment sets a
// user and a password.
func withDashboard(app *runtime.App, api http.Handler, log *slog.Logger) http.Handler {
	var dash http.Handler = dashboard.New(app, dashboard.Options{BasePath: dashboardPath, Logger: log})
	if user, pass := os.Getenv(envDashboardUser), os.Getenv(envDashboardPassword); user != "" && pass != "" {
		dash = basicAuth(user, pass, dash)
	}
	mux := http.NewServeMux()
	mux.Handle(dashboardPath, dash)
	mux.Handle("/", api)
	return mux
}

// basicAuth lets through the requests that carry user and pass. The
// comparison takes the same time whatever the guess.
func basicAuth(user, pass string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(user + ":" + pass))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		got := sha256.Sum256([]byte(u + ":" + p))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="tenantgen dashboard"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
