package oteltenantgen

import (
	"context"
	"sync"
	"time"
)

// cachedRead is a read of Redis or the database that a gauge's callback
// makes, reused while it is younger than every (MinScrapeInterval), so that
// several readers or a fast scraper cost one read per interval.
type cachedRead[T any] struct {
	every time.Duration
	read  func(ctx context.Context) (T, error)

	mu   sync.Mutex
	last T
	at   time.Time // of last; zero: no read yet
}

// get returns the last read and when it was made, or a new one when that
// is older than every. A read that fails is returned with its error (it
// may be partial) and not kept.
func (c *cachedRead[T]) get(ctx context.Context) (T, time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < c.every {
		return c.last, c.at, nil
	}
	v, err := c.read(ctx)
	if err != nil {
		return v, time.Now(), err
	}
	c.last, c.at = v, time.Now()
	return v, c.at, nil
}
