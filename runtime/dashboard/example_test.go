package dashboard_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/tenantgen/tenantgen/internal/testenv"
	"github.com/tenantgen/tenantgen/runtime"
	"github.com/tenantgen/tenantgen/runtime/dashboard"
)

// ExampleNew mounts the dashboard at /dashboard/ of an application's own
// server. In production, wrap it in the application's authentication.
func ExampleNew() {
	redisURL := os.Getenv(testenv.RedisURLEnv)
	if redisURL == "" {
		redisURL = testenv.DefaultRedisURL
	}
	app, err := runtime.Open(context.Background(), runtime.Config{
		RedisURL: redisURL, Prefix: "example_dashboard", Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer app.Close()

	mux := http.NewServeMux()
	mux.Handle("/dashboard/", dashboard.New(app, dashboard.Options{BasePath: "/dashboard"}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/dashboard/")
	if err != nil {
		fmt.Println(err)
		return
	}
	res.Body.Close()
	fmt.Println(res.Status, res.Header.Get("Content-Type"))
	// Output: 200 OK text/html; charset=utf-8
}
