package redistest

import (
	"context"
	"fmt"
)

// Kill sends SIGKILL to the server and waits for it to exit: connections
// drop at once and, with no persistence, its data is gone. A cluster node
// keeps its nodes.conf, so Restart brings it back with the same identity.
// Kill returns ErrNotRunning if the process has already exited.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.proc == nil || s.proc.exited() {
		return fmt.Errorf("kill %s: %w", s.Addr(), ErrNotRunning)
	}
	s.proc.kill()
	return nil
}

// Pause stops the server with SIGSTOP. Connections stay open and new ones
// are accepted by the kernel, but nothing is answered until Resume: to the
// rest of the world the server hangs. Close resumes a paused server before
// stopping it.
func (s *Server) Pause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.proc == nil || s.proc.exited() {
		return fmt.Errorf("pause %s: %w", s.Addr(), ErrNotRunning)
	}
	if err := pauseProcess(s.proc.cmd.Process); err != nil {
		return fmt.Errorf("pause %s: %w", s.Addr(), err)
	}
	s.proc.paused = true
	return nil
}

// Resume continues a server stopped by Pause. It returns ErrNotRunning if
// the server is not paused.
func (s *Server) Resume() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.proc == nil || s.proc.exited() || !s.proc.paused {
		return fmt.Errorf("resume %s: %w", s.Addr(), ErrNotRunning)
	}
	if err := resumeProcess(s.proc.cmd.Process); err != nil {
		return fmt.Errorf("resume %s: %w", s.Addr(), err)
	}
	s.proc.paused = false
	return nil
}

// Restart kills the server if it is still running and starts it again on
// the same port, in the same directory and with the same configuration, then
// waits until it answers PING. It fails if another process has taken the
// port in the meantime. A cluster node rejoins its cluster from its
// nodes.conf (use Cluster.WaitHealthy to wait until the cluster agrees
// again); a member of a Replicated setup comes back with the role it was
// last given.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.proc != nil {
		s.proc.kill()
	}
	p, err := launch(ctx, s.launchSpec())
	if err != nil {
		return fmt.Errorf("redistest: restart %s: %w", s.Addr(), err)
	}
	s.proc = p
	return nil
}
