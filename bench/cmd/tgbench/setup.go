package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// The benchmark keeps its data apart from the tests': its own PostgreSQL
// database and its own Redis database number, both emptied at will.
const (
	benchDatabase = "tenantgen_bench"
	benchRedisDB  = 13
)

// Tenant i (from 1) has ID "t<i>" and schema "tenant_<i>". The tenant
// workload uses the first -tenants of them; the fan-out uses all.
func tenantID(i int) string     { return fmt.Sprintf("t%d", i) }
func tenantSchema(i int) string { return fmt.Sprintf("tenant_%d", i) }

// benchURLs derives the benchmark's database and Redis URLs from the
// servers' URLs.
func benchURLs(pgURL, redisURL string) (string, string, error) {
	u, err := url.Parse(pgURL)
	if err != nil {
		return "", "", fmt.Errorf("database URL: %w", err)
	}
	u.Path = "/" + benchDatabase
	ru, err := url.Parse(redisURL)
	if err != nil {
		return "", "", fmt.Errorf("redis URL: %w", err)
	}
	ru.Path = fmt.Sprintf("/%d", benchRedisDB)
	return u.String(), ru.String(), nil
}

// ensureDatabase creates the benchmark database if it does not exist.
func ensureDatabase(ctx context.Context, adminURL string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", benchDatabase).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{benchDatabase}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile
		return nil
	}
	return err
}

// helperSQL creates server-side helpers that reset and read the counter
// row of many tenant schemas in one statement.
const helperSQL = `
CREATE OR REPLACE FUNCTION bench_reset(schemas text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
	FOREACH s IN ARRAY schemas LOOP
		EXECUTE format('UPDATE %I.items SET n = 0 WHERE id = 1 AND n <> 0', s);
	END LOOP;
END $$;
CREATE OR REPLACE FUNCTION bench_counts(schemas text[]) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
DECLARE s text; v bigint;
BEGIN
	FOREACH s IN ARRAY schemas LOOP
		EXECUTE format('SELECT n FROM %I.items WHERE id = 1', s) INTO v;
		RETURN NEXT v;
	END LOOP;
END $$;
`

// setup prepares the benchmark database: river's tables, the helpers and
// count tenants with their schemas. Tenants already there are kept, so only
// the first run pays for creating them.
func setup(ctx context.Context, benchURL, redisURL string, count int, logf func(string, ...any)) error {
	pool, err := pgxpool.New(ctx, benchURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, helperSQL); err != nil {
		return fmt.Errorf("helpers: %w", err)
	}
	if err := riverMigrate(ctx, pool); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	have, err := countTenants(ctx, pool)
	if err != nil {
		return err
	}
	if have >= count {
		return nil
	}
	logf("setup: creating tenants %d to %d (once; later runs reuse them)", have+1, count)
	start := time.Now()
	if err := createTenants(ctx, pool, benchURL, redisURL, have+1, count); err != nil {
		return fmt.Errorf("creating tenants: %w", err)
	}
	logf("setup: created %d tenants in %v", count-have, time.Since(start).Round(time.Millisecond))
	return nil
}

// resetRedis empties the benchmark's Redis database.
func resetRedis(ctx context.Context, redisURL string) error {
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return err
	}
	c := redis.NewClient(opts)
	defer c.Close()
	return c.FlushDB(ctx).Err()
}

// resetRiver empties river's job table.
func resetRiver(ctx context.Context, pool *pgxpool.Pool) error {
	_, err := pool.Exec(ctx, "TRUNCATE "+riverSchema+".river_job")
	return err
}

// resetOutbox empties tenantgen's outbox table, if the txenqueue workload
// created it.
func resetOutbox(ctx context.Context, pool *pgxpool.Pool) error {
	_, err := pool.Exec(ctx, "DO $$ BEGIN IF to_regclass('public.tenantgen_outbox') IS NOT NULL THEN TRUNCATE public.tenantgen_outbox; END IF; END $$")
	return err
}

// schemasUpTo returns the schemas of tenants 1 to n.
func schemasUpTo(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = tenantSchema(i + 1)
	}
	return s
}

// helperChunk is how many tenant tables one helper call touches: each
// takes locks until its transaction ends, and the lock table is small.
const helperChunk = 1000

// resetCounters sets the counter of tenants 1 to n to zero.
func resetCounters(ctx context.Context, pool *pgxpool.Pool, n int) error {
	all := schemasUpTo(n)
	for lo := 0; lo < len(all); lo += helperChunk {
		if _, err := pool.Exec(ctx, "SELECT bench_reset($1)", all[lo:min(lo+helperChunk, len(all))]); err != nil {
			return err
		}
	}
	return nil
}

// readCounters returns the counter of tenants 1 to n, in order.
func readCounters(ctx context.Context, pool *pgxpool.Pool, n int) ([]int64, error) {
	all := schemasUpTo(n)
	var out []int64
	for lo := 0; lo < len(all); lo += helperChunk {
		rows, err := pool.Query(ctx, "SELECT bench_counts($1)", all[lo:min(lo+helperChunk, len(all))])
		if err != nil {
			return nil, err
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// checkCounters compares the counters of tenants 1 to len(want) with want
// and describes the differences.
func checkCounters(ctx context.Context, pool *pgxpool.Pool, want []int64) ([]string, error) {
	got, err := readCounters(ctx, pool, len(want))
	if err != nil {
		return nil, err
	}
	var bad []string
	for i := range want {
		if got[i] != want[i] {
			bad = append(bad, fmt.Sprintf("%s: %d updates, want %d", tenantID(i+1), got[i], want[i]))
		}
	}
	if len(bad) > 5 {
		bad = append(bad[:5], fmt.Sprintf("and %d more tenants", len(bad)-5))
	}
	return bad, nil
}

// quoteList is for messages.
func quoteList(s []string) string { return strings.Join(s, "; ") }
