package dashboard

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestCSRFKeySharedByReplicas: a token issued by one handler is valid on
// another with the same CSRFKey, as behind a load balancer, and on none
// with another key, nor for another browser's cookie.
func TestCSRFKeySharedByReplicas(t *testing.T) {
	t.Parallel()
	key := []byte("a key shared by every replica...")
	a, b, other := newCSRF(key, "/"), newCSRF(key, "/"), newCSRF(nil, "/")

	w := httptest.NewRecorder()
	tok := a.token(w, httptest.NewRequest("GET", "/", nil))
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != csrfCookie || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookies = %+v, want one HttpOnly SameSite=Strict %s", cookies, csrfCookie)
	}
	postWith := func(cookie string) *http.Request {
		r := httptest.NewRequest("POST", "/actions/pause", strings.NewReader(url.Values{csrfField: {tok}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: cookie})
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tc := range []struct {
		name   string
		c      *csrf
		cookie string
		want   bool
	}{
		{"same handler", a, cookies[0].Value, true},
		{"replica with the same key", b, cookies[0].Value, true},
		{"handler with another key", other, cookies[0].Value, false},
		{"another browser's cookie", a, "another-nonce", false},
	} {
		if got := tc.c.valid(postWith(tc.cookie)); got != tc.want {
			t.Errorf("%s: valid = %v, want %v", tc.name, got, tc.want)
		}
	}
}
