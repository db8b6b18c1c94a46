package dashboard

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// cookieName is the cookie that carries a hash of the token after the page
// was opened with ?token=.
const cookieName = "redhot_token"

// cookieValue is what the cookie holds for token: a hash, so the token
// itself is not stored in the browser and any token fits a cookie.
func cookieValue(token string) string {
	sum := sha256.Sum256([]byte("redhot-dashboard\x00" + token))
	return hex.EncodeToString(sum[:])
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// authorize checks the request's token and answers 401 when it is missing
// or wrong. A page request with a right ?token= gets the cookie and a
// redirect to the same page without the token in its address.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	token := s.opts.Token
	if token == "" {
		return true
	}
	if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && equal(strings.TrimSpace(auth), token) {
		return true
	}
	if q := r.URL.Query(); q.Has("token") && r.Method == http.MethodGet && r.URL.Path == "/" {
		if equal(q.Get("token"), token) {
			http.SetCookie(w, &http.Cookie{
				Name: cookieName, Value: cookieValue(token), Path: "/",
				HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
			})
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return false
		}
	} else if c, err := r.Cookie(cookieName); err == nil && equal(c.Value, cookieValue(token)) {
		return true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="redhot"`)
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/"):
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintln(w, `{"error":"a valid token is required: send Authorization: Bearer <token>"}`)
	case r.URL.Path == "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, unauthorizedPage)
	default:
		http.Error(w, "redhot: a valid token is required: send Authorization: Bearer <token>", http.StatusUnauthorized)
	}
	return false
}

const unauthorizedPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>redhot: token required</title></head>
<body><h1>This dashboard needs a token</h1>
<p>The token is missing or wrong. Open the dashboard as <code>/?token=&lt;token&gt;</code>
(the token given to <code>redhot serve</code> with <code>--token</code> or <code>REDHOT_TOKEN</code>),
or send <code>Authorization: Bearer &lt;token&gt;</code>.</p></body></html>
`

// hostAllowed reports whether a request may be served: always with a
// token or Insecure, else only when addressed to a loopback name.
func (s *Server) hostAllowed(r *http.Request) bool {
	if s.opts.Token != "" || s.opts.Insecure {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ErrNoToken is returned by Listen for an address other machines can
// reach when there is no token and insecure is false.
var ErrNoToken = errors.New("dashboard: refusing to serve a non-loopback address without a token")

// Listen listens on addr (host:port) for a Server. Without a token it
// refuses, with ErrNoToken, any address that is not loopback (an empty
// host, 0.0.0.0, ::, an outside IP, or a name that resolves to one),
// unless insecure is set.
func Listen(ctx context.Context, addr, token string, insecure bool) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: listen address %q: %v", ErrInvalidOptions, addr, err)
	}
	guard := token == "" && !insecure
	if guard && !loopbackHost(ctx, host) {
		return nil, fmt.Errorf("%w (%s)", ErrNoToken, addr)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dashboard: listen on %s: %w", addr, err)
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); guard && (!ok || !ta.IP.IsLoopback()) {
		ln.Close()
		return nil, fmt.Errorf("%w (%s resolved to %s)", ErrNoToken, addr, ln.Addr())
	}
	return ln, nil
}

// loopbackHost reports whether host names only loopback addresses.
func loopbackHost(ctx context.Context, host string) bool {
	if host == "" {
		return false
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		return ip.IsLoopback()
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return false
		}
	}
	return true
}
