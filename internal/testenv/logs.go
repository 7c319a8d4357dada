package testenv

import (
	"bytes"
	"sync"
)

// Logs is a buffer safe for concurrent use, for the log lines of a test's
// workers: pass it to slog.NewTextHandler and read it with String.
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what has been written so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
