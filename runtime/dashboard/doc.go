// Package dashboard is tenantgen's web dashboard: an http.Handler, to
// mount in the application's own server, that shows the queues organised
// by tenant and acts on them through runtime.Inspector.
//
// Its pages are rendered on the server, with a small script that refreshes
// their live regions every few seconds: an overview (every queue with its
// tasks by state, its last hour as a chart of tasks done and failed per
// minute, the noisiest tenants: the largest backlogs, the most failures,
// the most dead tasks, and the outbox's waiting tasks and their age when
// the App has an outbox), the tenants (sorted, paged, and searched
// by ID, so that ten thousand tenants are never listed on one page), a
// tenant's page (its record, its tasks in each queue and state, its pause
// switch, and retry, requeue, cancel and delete for each task), a task's
// page (every field, its arguments, its last error and panic stack), the
// workers and the scheduler.
//
// Mount it under a prefix with the same BasePath, behind the
// application's authentication:
//
//	dash := dashboard.New(app, dashboard.Options{BasePath: "/dashboard"})
//	mux.Handle("/dashboard/", requireAdmin(dash))
//
// The dashboard authenticates no one: requireAdmin is the application's
// own middleware, such as a check of its session cookie, or HTTP basic
// authentication:
//
//	func requireAdmin(next http.Handler) http.Handler {
//		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			user, pass, ok := r.BasicAuth()
//			if !ok || subtle.ConstantTimeCompare([]byte(user+":"+pass), []byte(adminCredentials)) != 1 {
//				w.Header().Set("WWW-Authenticate", `Basic realm="tenantgen"`)
//				http.Error(w, "unauthorized", http.StatusUnauthorized)
//				return
//			}
//			next.ServeHTTP(w, r)
//		})
//	}
//
// Every action is a POST of a form that carries a CSRF token, checked
// against a SameSite cookie, behind net/http's CrossOriginProtection; an
// action without a valid token is refused with 403 Forbidden. With
// Options.ReadOnly the pages show no action and every POST is refused.
//
// The package imports runtime, never the reverse, and nothing beyond the
// standard library: an application that does not import it carries none
// of it.
package dashboard
