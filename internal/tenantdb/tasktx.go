package tenantdb

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// taskTx returns the task's transaction with one transaction per task,
// beginning it on first use, or nil otherwise.
func (d *DB) taskTx(ctx context.Context) (*tenantTx, error) {
	tx, _, _, err := d.taskTxWith(ctx, "", nil)
	return tx, err
}

// taskTxWith is taskTx for an Exec of sql with args. If it begins the
// transaction, and the connection has sql prepared, it sends BEGIN, the
// switch and the statement in one round trip and reports ran, with the
// statement's result.
func (d *DB) taskTxWith(ctx context.Context, sql string, args []any) (tx *tenantTx, tag pgconn.CommandTag, ran bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.closed:
		return nil, tag, false, errFinished
	case !d.perTx:
		return nil, tag, false, nil
	case d.tx != nil || d.err != nil:
		return d.tx, tag, false, d.err
	}
	c, err := d.pool.Acquire(ctx)
	if err != nil {
		d.err = d.wrap(err)
		return nil, tag, false, d.err
	}
	if len(args) == 0 || !d.prepared(c, sql) {
		d.tx, d.err = d.beginOn(ctx, c)
		return d.tx, tag, false, d.err
	}
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	b.Queue(setPathSQL, d.path)
	b.Queue(sql, args...)
	br := c.SendBatch(ctx, b)
	_, err = br.Exec() // begin
	if err == nil {
		_, err = br.Exec() // set_config
	}
	if err == nil {
		tag, err = br.Exec()
	}
	cerr := br.Close()
	if btx := br.Tx(); btx != nil && !btx.Conn().IsClosed() && btx.Conn().PgConn().TxStatus() != 'I' {
		// Begun: the statement's error, if any, fails the task, which
		// rolls the transaction back.
		d.tx = &tenantTx{Tx: btx, state: &txState{conn: c}}
		return d.tx, tag, true, errOr(err, cerr)
	}
	err = errOr(err, cerr)
	if unprepared(c, err, sql) {
		// The statement was not prepared after all: begin the slow way.
		d.tx, d.err = d.beginOn(ctx, c)
		return d.tx, pgconn.CommandTag{}, false, d.err
	}
	release(c, false)
	d.err = d.wrap(err)
	return nil, tag, false, d.err
}

// begin starts a transaction on the search_path, in the round trip of
// BEGIN.
func (d *DB) begin(ctx context.Context) (*tenantTx, error) {
	c, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, d.wrap(err)
	}
	return d.beginOn(ctx, c)
}

// beginOn is begin on the connection c, which the transaction owns from
// then on.
func (d *DB) beginOn(ctx context.Context, c *pgxpool.Conn) (*tenantTx, error) {
	tx, err := c.BeginTx(ctx, pgx.TxOptions{BeginQuery: "begin; set local search_path to " + d.path})
	if err != nil {
		c.Release()
		return nil, d.wrap(err)
	}
	return &tenantTx{Tx: tx, state: &txState{conn: c}}, nil
}

// errOr returns err, or def if err is nil.
func errOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}
