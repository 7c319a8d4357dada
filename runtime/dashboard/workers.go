package dashboard

import (
	"net/http"
)

// workers serves the live worker processes and what each runs.
func (h *handler) workers(r *http.Request) (*view, error) {
	ws, err := h.insp.Workers(r.Context())
	if err != nil {
		return nil, err
	}
	return &view{Page: "workers", Title: "Workers", Data: ws}, nil
}

// scheduler serves the scheduler: its leader, its entries and their
// problems.
func (h *handler) scheduler(r *http.Request) (*view, error) {
	s, err := h.insp.Scheduler(r.Context())
	if err != nil {
		return nil, err
	}
	return &view{Page: "scheduler", Title: "Scheduler", Data: s}, nil
}
