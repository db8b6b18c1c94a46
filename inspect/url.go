package inspect

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// DefaultURL is the server redhot inspects when no URL is given, as for
// redis-cli.
const DefaultURL = "redis://127.0.0.1:6379"

// endpoint is a parsed connection URL.
type endpoint struct {
	TLS      bool
	Host     string // without brackets for IPv6
	Port     int
	Username string
	Password string
	// HasPassword reports that the URL carried a password (possibly "").
	HasPassword bool
	DB          int
}

// Addr returns host:port.
func (e endpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// Redacted returns the URL without the password, for reports and errors.
func (e endpoint) Redacted() string {
	var b strings.Builder
	if e.TLS {
		b.WriteString("rediss://")
	} else {
		b.WriteString("redis://")
	}
	if e.Username != "" {
		b.WriteString(url.User(e.Username).String())
		b.WriteString("@")
	}
	b.WriteString(e.Addr())
	if e.DB != 0 {
		b.WriteString("/")
		b.WriteString(strconv.Itoa(e.DB))
	}
	return b.String()
}

// parseURL parses redis://[user][:password]@]host[:port][/db] and the
// rediss:// form for TLS. A bare host[:port] is accepted too. Errors never
// repeat the URL, which may hold a password.
func parseURL(raw string) (endpoint, error) {
	if raw == "" {
		raw = DefaultURL
	}
	if !strings.Contains(raw, "://") {
		raw = "redis://" + raw
	}
	bad := func(format string, args ...any) (endpoint, error) {
		return endpoint{}, newError(ErrBadOptions, "", "--url: "+format, args...)
	}
	scheme, rest, _ := strings.Cut(raw, "://")
	var e endpoint
	switch strings.ToLower(scheme) {
	case "redis":
	case "rediss":
		e.TLS = true
	default:
		return bad("scheme %q is not redis:// or rediss://", scheme)
	}
	// Split off the user info by hand, at the last '@' before the path,
	// so that passwords with '/', '?' or '#' work and never reach an error
	// message.
	authority, path := rest, ""
	at := strings.LastIndex(rest, "@")
	slash := strings.IndexAny(rest[at+1:], "/?#")
	if slash >= 0 {
		authority, path = rest[:at+1+slash], rest[at+1+slash:]
	}
	if at >= 0 {
		userinfo := authority[:at]
		authority = authority[at+1:]
		// user:password@, user@ (password from ConnOptions.Password)
		// or :password@, as URLs spell them.
		user, pass, _ := strings.Cut(userinfo, ":")
		u, err := url.PathUnescape(user)
		if err != nil {
			return bad("the user name is not correctly %%-escaped")
		}
		p, err := url.PathUnescape(pass)
		if err != nil {
			return bad("the password is not correctly %%-escaped")
		}
		e.Username, e.Password, e.HasPassword = u, p, p != ""
	}
	host, port := authority, ""
	if strings.HasPrefix(authority, "[") {
		end := strings.Index(authority, "]")
		if end < 0 {
			return bad("unclosed '[' in the host")
		}
		host = authority[1:end]
		tail := authority[end+1:]
		if tail != "" {
			if !strings.HasPrefix(tail, ":") {
				return bad("unexpected %q after the host", tail)
			}
			port = tail[1:]
		}
	} else if i := strings.LastIndex(authority, ":"); i >= 0 {
		host, port = authority[:i], authority[i+1:]
	}
	if strings.ContainsAny(host, "[]") {
		return bad("host %q is not a host name or address", host)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	e.Host = host
	e.Port = 6379
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return bad("port %q is not a number from 1 to 65535", port)
		}
		e.Port = p
	}
	path, query, _ := strings.Cut(path, "?")
	path, _, _ = strings.Cut(path, "#")
	if db := strings.Trim(path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return bad("database %q is not a number", db)
		}
		e.DB = n
	}
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return bad("the query string is malformed")
		}
		for k, v := range q {
			switch k {
			case "db":
				n, err := strconv.Atoi(v[0])
				if err != nil || n < 0 {
					return bad("database %q is not a number", v[0])
				}
				e.DB = n
			default:
				return bad("unknown parameter %q", k)
			}
		}
	}
	return e, nil
}
