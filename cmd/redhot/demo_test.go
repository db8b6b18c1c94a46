package main

import (
	"net"
	"testing"
)

// TestDemoErrors checks that bad demo flags and an unreachable --url give
// one line and a hint, before any server is started.
func TestDemoErrors(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	tests := []struct {
		name          string
		args          []string
		wantErr, hint string
	}{
		{"rate too low", []string{"demo", "--rate", "5"}, "Rate = 5", "redhot demo --help"},
		{"too many replicas", []string{"demo", "--replicas", "9"}, "Replicas = 9", "redhot demo --help"},
		{"duration too short", []string{"demo", "--duration", "1s"}, "Duration = 1s", "redhot demo --help"},
		{"nothing listening", []string{"demo", "--quick", "--url", "redis://" + closed}, closed, "is Redis running there?"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := redhot(t, t.Context(), nil, tc.args...)
			checkOneLineError(t, r, tc.wantErr, tc.hint)
		})
	}
}
