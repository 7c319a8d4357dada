package outbox

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// waker wakes a relay's loop when a transaction that inserted into its
// outbox commits (the insert trigger's NOTIFY, on a connection of its
// own), or once the poll interval has passed. Behind a transaction pooler
// such as PgBouncer, LISTEN cannot work (the pooler hands the session's
// server connection to other clients between transactions, and drops
// notifications), so a waker that finds a pooler polls.
type waker struct {
	r      *Relay
	conn   *pgx.Conn // the listening connection; nil: polling
	listen bool      // try to listen: Relay.Listen, and no pooler found
	retry  time.Time // when to connect again after a failure
}

// retryListen is the least pause between attempts to listen again.
const retryListen = 5 * time.Second

// newWaker returns the waker of r, listening if r.Listen and the
// connection allows.
func newWaker(ctx context.Context, r *Relay) *waker {
	w := &waker{r: r, listen: r.Listen}
	if w.listen {
		w.connect(ctx)
	}
	return w
}

// connect opens the listening connection, or finds a pooler and gives up
// listening, or fails and polls until retry.
func (w *waker) connect(ctx context.Context) {
	log := w.r.Logger
	conn, err := pgx.ConnectConfig(ctx, w.r.Pool.Config().ConnConfig.Copy())
	if err == nil {
		var pid uint32
		err = conn.QueryRow(ctx, "select pg_backend_pid()", pgx.QueryExecModeSimpleProtocol).Scan(&pid)
		if err == nil && pid != conn.PgConn().PID() {
			// A server sends its own PID as the cancel key; a pooler sends
			// one of its own.
			conn.Close(ctx)
			w.listen = false
			log.Info("tenantgen: outbox relay: the database is behind a connection pooler, where LISTEN does not work: polling (Config.Outbox.PollInterval)", "every", w.r.Poll)
			return
		}
	}
	if err == nil {
		_, err = conn.Exec(ctx, "listen "+pgx.Identifier{Channel}.Sanitize())
	}
	if err != nil {
		if conn != nil {
			conn.Close(ctx)
		}
		if ctx.Err() == nil {
			w.retry = time.Now().Add(retryListen)
			log.Warn("tenantgen: outbox relay cannot listen for notifications: polling until it can", "err", err, "every", w.r.Poll)
		}
		return
	}
	w.conn = conn
}

// wait returns on a notification of the relay's outbox, or after d, or
// when ctx is done. It drains the notifications already received: one
// relay pass serves them all.
func (w *waker) wait(ctx context.Context, d time.Duration) {
	if w.conn == nil && w.listen && time.Now().After(w.retry) {
		w.connect(ctx)
	}
	if w.conn == nil {
		sleep(ctx, d)
		return
	}
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		n, err := w.conn.WaitForNotification(wctx)
		if err != nil {
			if wctx.Err() == nil {
				// The connection broke: poll until it is back.
				w.r.Logger.Warn("tenantgen: outbox relay lost its listening connection: polling until it is back", "err", err)
				w.close()
				w.retry = time.Now().Add(retryListen)
			}
			return
		}
		if n.Payload == w.r.Table.Schema {
			w.drain(ctx)
			return
		}
	}
}

// drain discards the notifications the connection has received already.
func (w *waker) drain(ctx context.Context) {
	done, cancel := context.WithCancel(ctx)
	cancel()
	for {
		if n, _ := w.conn.WaitForNotification(done); n == nil {
			return
		}
	}
}

// close closes the listening connection, if any.
func (w *waker) close() {
	if w.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	w.conn.Close(ctx)
	w.conn = nil
}
