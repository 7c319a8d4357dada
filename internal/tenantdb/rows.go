package tenantdb

import "github.com/jackc/pgx/v5"

// ownedRows are rows that hold a connection of their own: closing them,
// or reading past the last row, ends what they belong to (a batch, or a
// transaction) and gives the connection back.
type ownedRows struct {
	pgx.Rows
	db     *DB
	end    func(rowsErr error) error // called once, with the rows' error
	closed bool
	err    error
}

func (r *ownedRows) Next() bool {
	if r.closed {
		return false
	}
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *ownedRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.db.untrack(r)
	r.Rows.Close()
	r.err = r.end(r.Rows.Err())
}

// abandon ends rows that the task left open, as failed.
func (r *ownedRows) abandon() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.end(errFinished)
}

func (r *ownedRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// row is the result of QueryRow.
type row struct {
	rows pgx.Rows
	err  error
}

func (r *row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}
