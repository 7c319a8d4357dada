package tenantdb

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Exec runs sql with args and returns its command tag. In DBStatement mode
// a prepared statement costs one round trip, search_path included.
func (d *DB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if tx, tag, ran, err := d.taskTxWith(ctx, sql, args); tx != nil || err != nil {
		if ran || err != nil {
			return tag, err
		}
		return tx.Exec(ctx, sql, args...)
	}
	c, err := d.acquire(ctx)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	// A statement that may set search_path for the session runs in a
	// transaction that resets it before committing (tenantTx.Commit): a
	// RESET sent after it, behind a transaction pooler, could reach
	// another server connection than the one it changed.
	dirty := setsPath(sql)
	if len(args) == 0 && !dirty {
		// pgx sends a statement without arguments unprepared, with the
		// simple protocol, where the statements of one message share an
		// implicit transaction: SET LOCAL in front of it switches it in
		// its round trip. (The batch below would prepare it under the
		// connection's own search_path, fail, and fall back to a
		// transaction: four round trips, every time.)
		tag, err := c.Exec(ctx, "set local search_path to "+d.path+"; "+sql)
		release(c, false)
		return tag, err
	}
	if !dirty && d.prepared(c, sql) {
		br := c.SendBatch(ctx, d.batch(&pgx.QueuedQuery{SQL: sql, Arguments: args}))
		_, err := br.Exec()
		var tag pgconn.CommandTag
		if err == nil {
			tag, err = br.Exec()
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if !unprepared(c, err, sql) {
			release(c, false)
			return tag, err
		}
	}
	tx, err := d.beginOn(ctx, c)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := tx.Exec(ctx, sql, args...)
	return tag, endTx(tx, err, []string{sql})
}

// Query runs sql with args and returns its rows. Closing the rows, or
// reading them to the end, gives the connection back.
func (d *DB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if tx, err := d.taskTx(ctx); tx != nil || err != nil {
		if err != nil {
			return nil, err
		}
		return tx.Query(ctx, sql, args...)
	}
	c, err := d.acquire(ctx)
	if err != nil {
		return nil, err
	}
	// As in Exec, a statement that may set search_path runs in a
	// transaction.
	if !setsPath(sql) && d.prepared(c, sql) {
		br := c.SendBatch(ctx, d.batch(&pgx.QueuedQuery{SQL: sql, Arguments: args}))
		_, err := br.Exec()
		if err == nil {
			var rows pgx.Rows
			rows, err = br.Query()
			if err == nil {
				r := &ownedRows{Rows: rows, db: d, end: func(error) error {
					err := br.Close()
					release(c, false)
					return err
				}}
				d.track(r)
				return r, nil
			}
		}
		br.Close()
		if !unprepared(c, err, sql) {
			release(c, false)
			return nil, err
		}
	}
	tx, err := d.beginOn(ctx, c)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		tx.Rollback(ctx)
		return nil, err
	}
	r := &ownedRows{Rows: rows, db: d, end: func(err error) error { return endTx(tx, err, []string{sql}) }}
	d.track(r)
	return r, nil
}

// QueryRow runs sql with args, which should return at most one row. Errors
// are deferred to the row's Scan.
func (d *DB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := d.Query(ctx, sql, args...)
	return &row{rows: rows, err: err}
}

// SendBatch sends every query of b in one round trip, after setting the
// search_path. Closing the results gives the connection back.
func (d *DB) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if tx, err := d.taskTx(ctx); tx != nil || err != nil {
		if err != nil {
			return &errBatch{err}
		}
		return tx.SendBatch(ctx, b)
	}
	c, err := d.acquire(ctx)
	if err != nil {
		return &errBatch{err}
	}
	sqls := make([]string, len(b.QueuedQueries))
	for i, q := range b.QueuedQueries {
		sqls[i] = q.SQL
	}
	// As in Exec, a batch that may set search_path runs in a transaction.
	if !batchSetsPath(b) && d.prepared(c, sqls...) {
		br := c.SendBatch(ctx, d.batch(b.QueuedQueries...))
		_, err := br.Exec()
		if err == nil {
			r := &batchResults{BatchResults: br, conn: c, db: d}
			d.track(r)
			return r
		}
		br.Close()
		if !unprepared(c, err, sqls...) {
			release(c, false)
			return &errBatch{err}
		}
	}
	tx, err := d.beginOn(ctx, c)
	if err != nil {
		return &errBatch{err}
	}
	r := &txBatch{BatchResults: tx.SendBatch(ctx, b), tx: tx, sql: sqls, db: d}
	d.track(r)
	return r
}

// Begin starts a transaction on the search_path (with one transaction per
// task, a savepoint in it). Committing or rolling it back gives the
// connection back.
func (d *DB) Begin(ctx context.Context) (pgx.Tx, error) {
	if tx, err := d.taskTx(ctx); tx != nil || err != nil {
		if err != nil {
			return nil, err
		}
		return tx.Begin(ctx)
	}
	tx, err := d.begin(ctx)
	if err != nil {
		return nil, err
	}
	tx.db = d
	d.track(tx)
	return tx, nil
}

// CopyFrom copies rows into table with the COPY protocol, in a transaction
// on the search_path, and returns the number of rows copied.
func (d *DB) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if tx, err := d.taskTx(ctx); tx != nil || err != nil {
		if err != nil {
			return 0, err
		}
		return tx.CopyFrom(ctx, table, columns, src)
	}
	tx, err := d.begin(ctx)
	if err != nil {
		return 0, err
	}
	n, err := tx.CopyFrom(ctx, table, columns, src)
	if err != nil {
		tx.Rollback(ctx)
		return 0, err
	}
	return n, tx.Commit(ctx)
}
