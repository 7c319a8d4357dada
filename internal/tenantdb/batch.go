package tenantdb

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// batchResults are the results of SendBatch; Close gives the connection
// back.
type batchResults struct {
	db *DB
	pgx.BatchResults
	conn   *pgxpool.Conn
	closed bool
}

func (b *batchResults) abandon() { b.Close() }

func (b *batchResults) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	b.db.untrack(b)
	err := b.BatchResults.Close()
	release(b.conn, false)
	return err
}

// txBatch are the results of a batch run in its own transaction; closing
// them commits it.
type txBatch struct {
	db *DB
	pgx.BatchResults
	tx     *tenantTx
	sql    []string
	closed bool
	err    error
}

func (b *txBatch) abandon() {
	b.closed = true
	endTx(b.tx, errOr(b.BatchResults.Close(), errFinished), nil)
}

func (b *txBatch) Close() error {
	if b.closed {
		return b.err
	}
	b.closed = true
	b.db.untrack(b)
	b.err = endTx(b.tx, b.BatchResults.Close(), b.sql)
	return b.err
}

// endTx commits tx if err is nil, else rolls it back, and records that
// the statements sqls, which ran in it, are prepared on its connection.
func endTx(tx *tenantTx, err error, sqls []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err != nil {
		tx.Rollback(ctx)
		return err
	}
	// Before Commit gives the connection back. Prepared statements outlive
	// the transaction, committed or not.
	remember(tx.state.conn, sqls...)
	return tx.Commit(ctx)
}

// errBatch are the results of a batch that could not be sent.
type errBatch struct{ err error }

func (b *errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b *errBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b *errBatch) QueryRow() pgx.Row                { return &row{err: b.err} }
func (b *errBatch) Close() error                     { return b.err }
func (b *errBatch) Tx() pgx.Tx                       { return nil }
