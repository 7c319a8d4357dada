package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// csrfCookie is the cookie that carries a browser's CSRF nonce.
const csrfCookie = "tenantgen_dashboard_csrf"

// csrfField is the hidden form field that carries the CSRF token.
const csrfField = "csrf"

// csrf issues and checks the tokens of the dashboard's forms. A browser
// gets a random nonce in a SameSite=Strict cookie, and every form carries
// the HMAC of that nonce under the handler's key: another site can make a
// browser send the cookie with a forged POST only where SameSite fails,
// and it can never read the cookie to compute the token. The check runs
// behind net/http's CrossOriginProtection, which refuses cross-origin
// POSTs from modern browsers before they get here; the token also covers
// older browsers and requests that carry neither Sec-Fetch-Site nor
// Origin.
type csrf struct {
	key  []byte
	path string // the cookie's path: the dashboard's base path
}

// newCSRF returns a csrf with key, or with a random key when key is empty.
func newCSRF(key []byte, path string) *csrf {
	if len(key) == 0 {
		key = make([]byte, 32)
		rand.Read(key) // never fails: crypto/rand panics rather than return an error
	}
	return &csrf{key: key, path: path}
}

// token returns the token of the request's browser for its forms, setting
// the nonce cookie on w first if the browser has none yet.
func (c *csrf) token(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(csrfCookie); err == nil && ck.Value != "" {
		return c.sign(ck.Value)
	}
	nonce := rand.Text()
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: nonce, Path: c.path,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	return c.sign(nonce)
}

// valid reports whether the POSTed form of r carries the token of its
// browser's nonce. r.ParseForm must have run.
func (c *csrf) valid(r *http.Request) bool {
	ck, err := r.Cookie(csrfCookie)
	if err != nil || ck.Value == "" {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(r.PostForm.Get(csrfField))
	if err != nil {
		return false
	}
	return hmac.Equal(got, c.mac(ck.Value))
}

func (c *csrf) sign(nonce string) string {
	return base64.RawURLEncoding.EncodeToString(c.mac(nonce))
}

func (c *csrf) mac(nonce string) []byte {
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte(nonce))
	return h.Sum(nil)
}
