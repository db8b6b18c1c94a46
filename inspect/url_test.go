package inspect

import (
	"errors"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url  string
		want endpoint
	}{
		{"", endpoint{Host: "127.0.0.1", Port: 6379}},
		{"redis://10.0.0.1:7000", endpoint{Host: "10.0.0.1", Port: 7000}},
		{"10.0.0.1:7000", endpoint{Host: "10.0.0.1", Port: 7000}},
		{"rediss://host/3", endpoint{TLS: true, Host: "host", Port: 6379, DB: 3}},
		{"redis://alice:s3cret@host:1", endpoint{Host: "host", Port: 1, Username: "alice", Password: "s3cret", HasPassword: true}},
		{"redis://:s3cret@host", endpoint{Host: "host", Port: 6379, Password: "s3cret", HasPassword: true}},
		{"redis://alice@host", endpoint{Host: "host", Port: 6379, Username: "alice"}},
		{"redis://alice:p%40ss%2Fw@host", endpoint{Host: "host", Port: 6379, Username: "alice", Password: "p@ss/w", HasPassword: true}},
		{"redis://alice:p@ss/w@host/2", endpoint{Host: "host", Port: 6379, Username: "alice", Password: "p@ss/w", HasPassword: true, DB: 2}},
		{"redis://[::1]:6380", endpoint{Host: "::1", Port: 6380}},
		{"redis://host?db=4", endpoint{Host: "host", Port: 6379, DB: 4}},
	}
	for _, tt := range tests {
		got, err := parseURL(tt.url)
		if err != nil {
			t.Errorf("parseURL(%q) = %v", tt.url, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parseURL(%q) = %+v; want %+v", tt.url, got, tt.want)
		}
		if strings.Contains(got.Redacted(), "s3cret") || strings.Contains(got.Redacted(), "p@ss") {
			t.Errorf("parseURL(%q).Redacted() = %q shows the password", tt.url, got.Redacted())
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, u := range []string{
		"http://host", "redis://host:99999", "redis://host:x", "redis://host/x",
		"redis://[::1", "redis://host?foo=1", "redis://u:s3cret%zz@host",
		"redis://u:s3cret@host:notaport",
	} {
		_, err := parseURL(u)
		if err == nil {
			t.Errorf("parseURL(%q) = nil error; want one", u)
			continue
		}
		if !errors.Is(err, ErrBadOptions) {
			t.Errorf("parseURL(%q) = %v; want ErrBadOptions", u, err)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("parseURL(%q) error %q shows the password", u, err)
		}
	}
}
