package main

import (
	"strings"
	"unsafe"
)

// hidePasswords returns a copy of args, then overwrites with 'x' the
// password of every connection URL in args itself (redis://user:pw@host,
// the value of -u or --url). Given the process's own os.Args, which on
// Linux and the BSDs share memory with the argv that ps and
// /proc/<pid>/cmdline show, this hides the password from other users
// from then on; ps may still catch it in the moment before, so the
// environment variables remain the safe way to pass it.
//
// The strings of args must be writable memory, as os.Args is: never pass
// string constants.
func hidePasswords(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.Clone(a)
	}
	for i, a := range args {
		var off int
		switch {
		case (a == "-u" || a == "--url") && i+1 < len(args):
			continue // the next argument is the URL; it is checked on its own turn
		case strings.HasPrefix(a, "--url="):
			off = len("--url=")
		case strings.HasPrefix(a, "-u") && !strings.HasPrefix(a, "--"):
			off = len("-u")
			if strings.HasPrefix(a[off:], "=") {
				off++
			}
		}
		isURLValue := i > 0 && (args[i-1] == "-u" || args[i-1] == "--url")
		if off == 0 && !isURLValue && !strings.Contains(a, "://") {
			continue
		}
		lo, hi, ok := passwordSpan(a[off:])
		if !ok {
			continue
		}
		b := unsafe.Slice(unsafe.StringData(a), len(a))
		for j := off + lo; j < off+hi; j++ {
			b[j] = 'x'
		}
	}
	return out
}

// passwordSpan returns where the password of a connection URL is
// (redis://user:pw@host, redis://:pw@host, or user:pw@host without a
// scheme), as parseURL in package inspect splits it: at the last '@'.
func passwordSpan(u string) (lo, hi int, ok bool) {
	start := 0
	if i := strings.Index(u, "://"); i >= 0 {
		start = i + len("://")
	}
	at := strings.LastIndex(u[start:], "@")
	if at < 0 {
		return 0, 0, false
	}
	colon := strings.IndexByte(u[start:start+at], ':')
	if colon < 0 || colon+1 == at {
		return 0, 0, false
	}
	return start + colon + 1, start + at, true
}
