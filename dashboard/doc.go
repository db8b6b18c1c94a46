// Package dashboard shows what is hot, live: the web dashboard behind
// `redhot serve` and the Recorder that `redhot top` (package
// dashboard/top) and the dashboard share.
//
// A [Recorder] samples a [Source] (a fleet observer, *fleet.Member; a
// tracker, *heat.Tracker; a MONITOR sample, *inspect.MonitorStream) on the
// caller's schedule and keeps what a live view needs: each key's recent
// rates, its trend, and a timeline of hot and cooled events found by
// comparing successive samples. It holds no goroutine and takes the time
// as an argument, so views built on it are tested without sleeping.
//
// A [Server] is an http.Handler that serves one page and the JSON behind
// it (docs/dashboard.md):
//
//	GET /                  the dashboard (HTML, CSS and JavaScript embedded in the binary; no CDN)
//	GET /api/v1/snapshot   the current document, with every key's rate history
//	GET /api/v1/stream     Server-Sent Events: one "sample" document per Options.Interval
//	GET /metrics           Prometheus text format, from Options.Collectors on a private registry
//	GET /healthz           "ok", without a token
//
// The page shows the hottest keys with their rates, read/write split,
// share, trend and hot or cooled state; a rate-over-time chart per hot key
// (canvas, drawn by the page's own code); a timeline of hot and cooled
// events; each node's load from INFO deltas (Options.Nodes, an
// *inspect.LoadMeter, sampled every Options.LoadInterval); and the fleet's
// live instances and stream counters (Options.Fleet); and the near-cache
// stats of the fleet: each instance's near-cache hits, misses, hit ratio,
// fills, invalidations, entries, memory and mode, and their sums, from
// the summaries of instances that joined through the redhot middleware
// (Middleware.JoinFleet). Instances without a middleware, or of releases
// that predate the figures, are listed without them.
//
// # Access
//
// With Options.Token set, every request but /healthz needs the token, as
// "Authorization: Bearer <token>", or once as /?token=<token>, after which
// the page holds a cookie with a hash of it (HttpOnly, SameSite=Strict) and
// the token leaves the address bar. Without a token, [Listen] refuses
// addresses other machines can reach (ErrNoToken) unless told otherwise,
// and the Server answers only requests addressed to a loopback name, so a
// web page that rebinds its DNS name to 127.0.0.1 cannot read it. Every
// response carries a strict Content-Security-Policy: the page runs only
// its own script.
package dashboard
