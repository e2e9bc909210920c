package outbox

import "sync"

// Signal tells whoever delivers the outbox that notes were committed, so
// that delivery starts at once rather than at the next poll. A program
// makes it before it opens the store that writes notes (whose commits
// Notify it) and hands it to its delivery worker once there is one (which
// Listens); a Notify before anyone listens is dropped, as the worker
// looks at the outbox when it starts.
type Signal struct {
	mu       sync.Mutex
	listener func()
}

// Notify calls the listener, if any. It is called after every commit that
// wrote notes, in the committing goroutine.
func (s *Signal) Notify() {
	s.mu.Lock()
	fn := s.listener
	s.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// Listen makes fn what Notify calls (nil: nothing), in place of the
// listener before. fn must not block for long: it runs after each commit.
func (s *Signal) Listen(fn func()) {
	s.mu.Lock()
	s.listener = fn
	s.mu.Unlock()
}
