package dashboard

import (
	"context"
	"sync"
	"time"
)

// namesTTL is how long the dashboard reuses the list of queue names. The
// pages that only need the names (filters, a tenant's queues) would
// otherwise pay for the Inspector's counts of every queue; queues come and
// go with deployments, not between two clicks.
const namesTTL = 10 * time.Second

// names caches the names of the queues.
type names struct {
	mu    sync.Mutex
	list  []string
	until time.Time
}

// queueNames returns the names of the queues, from the cache if it is
// fresh, else from the Inspector.
// The lock is not held while the Inspector reads, so that a slow Redis
// holds up only the requests that wait for it, each until its own
// deadline.
func (h *handler) queueNames(ctx context.Context) ([]string, error) {
	h.names.mu.Lock()
	list, fresh := h.names.list, time.Now().Before(h.names.until)
	h.names.mu.Unlock()
	if fresh {
		return list, nil
	}
	qs, err := h.insp.Queues(ctx)
	if err != nil {
		return nil, err
	}
	list = make([]string, 0, len(qs))
	for _, q := range qs {
		list = append(list, q.Name)
	}
	h.setNames(list)
	return list, nil
}

// setNames refreshes the cache with the names of a fresh read of the
// queues.
func (h *handler) setNames(list []string) {
	h.names.mu.Lock()
	defer h.names.mu.Unlock()
	h.names.list, h.names.until = list, time.Now().Add(namesTTL)
}
