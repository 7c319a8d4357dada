package outbox

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// statsCap bounds the rows that Stats counts, so that reading the stats of
// a huge backlog stays cheap.
const statsCap = 100_000

// Stats are the size and age of an outbox.
type Stats struct {
	Rows   int64     // rows waiting, counted up to statsCap
	Capped bool      // Rows reached statsCap: there may be more
	Oldest time.Time // when the oldest row's transaction began; zero when empty
	Now    time.Time // the database's clock, to age Oldest by
}

// Querier runs a query: a pool, a connection or a transaction.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Stats reads the size and age of the outbox: one query, which counts at
// most statsCap rows and finds the oldest by the primary key's index.
func (t Table) Stats(ctx context.Context, q Querier) (Stats, error) {
	var (
		s      Stats
		oldest *time.Time
	)
	if err := q.QueryRow(ctx, t.stats).Scan(&s.Rows, &oldest, &s.Now); err != nil {
		return Stats{}, err
	}
	if oldest != nil {
		s.Oldest = *oldest
	}
	s.Capped = s.Rows >= statsCap
	return s, nil
}
