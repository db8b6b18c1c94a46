package inspect

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// restoreTimeout bounds restoring changed config at exit, which runs even
// when the method's context is cancelled.
const restoreTimeout = 5 * time.Second

// configGuard changes server settings for the length of a method and puts
// them back. It is only used with an explicit --allow-config-change.
type configGuard struct {
	r *run

	mu      sync.Mutex // guards changes
	changes []configChange
}

type configChange struct {
	n            *node
	param, value string // the value to restore
}

// configGet reads one parameter on n.
func configGet(ctx context.Context, n *node, param string) (string, error) {
	m, err := n.client.ConfigGet(ctx, param).Result()
	if err != nil {
		return "", classify(n.addr, "CONFIG GET "+param, err)
	}
	v, ok := m[param]
	if !ok {
		return "", newError(ErrUnsupported, n.addr, "the server has no %s setting", param)
	}
	return v, nil
}

// set changes param to value on n, remembering the old value old.
func (g *configGuard) set(ctx context.Context, n *node, param, old, value string) error {
	if err := n.client.ConfigSet(ctx, param, value).Err(); err != nil {
		return classify(n.addr, "CONFIG SET "+param, err)
	}
	g.mu.Lock()
	g.changes = append(g.changes, configChange{n, param, old})
	g.mu.Unlock()
	g.r.note("--allow-config-change: set %s to %q on %s (was %q); redhot restores it on exit, also on Ctrl-C; if redhot is killed, run: CONFIG SET %s %q",
		param, value, n.addr, old, param, old)
	return nil
}

// restore puts every changed setting back, newest first. It ignores the
// cancellation of the method's context.
func (g *configGuard) restore(ctx context.Context) {
	g.mu.Lock()
	changes := g.changes
	g.changes = nil
	g.mu.Unlock()
	if len(changes) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
	defer cancel()
	for i := len(changes) - 1; i >= 0; i-- {
		c := changes[i]
		if err := c.n.client.ConfigSet(ctx, c.param, c.value).Err(); err != nil {
			g.r.warn("could not restore %s on %s: %v; run CONFIG SET %s %q there yourself", c.param, c.n.addr, err, c.param, c.value)
			continue
		}
		g.r.note("restored %s to %q on %s", c.param, c.value, c.n.addr)
	}
}

// describe is "a on n1, b on n2" for messages.
func describeNodes(byNode map[string]string) string {
	s := ""
	for _, addr := range slices.Sorted(maps.Keys(byNode)) {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%s on %s", byNode[addr], addr)
	}
	return s
}
