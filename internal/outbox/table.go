package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TableName is the name of the outbox table, in the shared schema.
const TableName = "tenantgen_outbox"

// Channel is the channel that the outbox's insert trigger notifies, with
// the table's schema as the payload.
const Channel = "tenantgen_outbox"

// Table is the outbox table of one shared schema, with its statements.
type Table struct {
	Schema string
	insert string
	take   string
	stats  string
}

// NewTable returns the outbox table of schema.
func NewTable(schema string) Table {
	t := pgx.Identifier{schema, TableName}.Sanitize()
	return Table{
		Schema: schema,
		insert: "insert into " + t + " (id, queue, tenant, task, envelope, due_us, unique_ms, lock_name)" +
			" select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[])",
		// The rows of other relays' open transactions are skipped, not
		// waited for: relays share the outbox without taking a row twice.
		take: "delete from " + t + " where seq in (select seq from " + t + " order by seq limit $1 for update skip locked)" +
			" returning seq, id, queue, tenant, task, envelope, due_us, unique_ms, lock_name",
		stats: "select (select count(*) from (select 1 from " + t + " limit " + fmt.Sprint(statsCap) + ") r)," +
			" (select created_at from " + t + " order by seq limit 1), now()",
	}
}

// Execer runs a statement: a pgx.Tx, or a task's database handle in
// DBTransaction mode, whose statements share the task's transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Task is one task of the outbox, prepared by the queue engine for its
// queue: its fields are those of queue.Task, which converts to and from
// it, so that the row holds exactly what a direct enqueue writes.
type Task struct {
	ID, Name, Tenant, Queue string
	Data                    string        // the encoded envelope, signed when signing is on
	Due                     time.Time     // zero: ready now
	Unique                  time.Duration // positive: a unique task, locked for this window
	Lock                    string        // the unique lock's name; "" unless unique
}

// Rows are prepared tasks to insert, as the columns of the insert.
type Rows struct {
	id, queue, tenant, task, envelope, lock []string
	due, unique                             []int64
}

// Add adds t.
func (r *Rows) Add(t *Task) {
	var due int64
	if !t.Due.IsZero() {
		due = t.Due.UnixMicro()
	}
	r.id = append(r.id, t.ID)
	r.queue = append(r.queue, t.Queue)
	r.tenant = append(r.tenant, t.Tenant)
	r.task = append(r.task, t.Name)
	r.envelope = append(r.envelope, t.Data)
	r.due = append(r.due, due)
	r.unique = append(r.unique, t.Unique.Milliseconds())
	r.lock = append(r.lock, t.Lock)
}

// Len returns how many rows r holds.
func (r *Rows) Len() int { return len(r.id) }

// ErrNoTable is wrapped by the error of an insert into an outbox table
// that does not exist.
var ErrNoTable = errors.New("no outbox table")

// Insert writes rows into the outbox table through x, in one statement:
// they become visible to the relay when x's transaction commits, and vanish
// if it rolls back.
func (t Table) Insert(ctx context.Context, x Execer, rows *Rows) error {
	_, err := x.Exec(ctx, t.insert, rows.id, rows.queue, rows.tenant, rows.task, rows.envelope, rows.due, rows.unique, rows.lock)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" { // undefined_table
		return fmt.Errorf("%w %q in schema %q: %w", ErrNoTable, TableName, t.Schema, err)
	}
	return err
}

// Check returns an error wrapping ErrNoTable if the outbox table does not
// exist in q's database.
func (t Table) Check(ctx context.Context, q Querier) error {
	var exists bool
	if err := q.QueryRow(ctx, "select to_regclass($1) is not null", pgx.Identifier{t.Schema, TableName}.Sanitize()).Scan(&exists); err != nil {
		return fmt.Errorf("look up the outbox table: %w", err)
	}
	if !exists {
		return fmt.Errorf("%w %q in schema %q", ErrNoTable, TableName, t.Schema)
	}
	return nil
}

// scanTask reads a row that take returned.
func scanTask(rows pgx.Rows) (int64, Task, error) {
	var (
		seq           int64
		t             Task
		due, uniqueMS int64
	)
	if err := rows.Scan(&seq, &t.ID, &t.Queue, &t.Tenant, &t.Name, &t.Data, &due, &uniqueMS, &t.Lock); err != nil {
		return 0, Task{}, err
	}
	if due != 0 {
		t.Due = time.UnixMicro(due)
	}
	t.Unique = time.Duration(uniqueMS) * time.Millisecond
	return seq, t, nil
}
