-- The periodic tasks table read by tenantgen's scheduler
-- (runtime.SchedulerConfig.Tables): the database-backed schedule. Apply it
-- in the shared schema and in every tenant schema that keeps a schedule of
-- its own; runtime.App.CreatePeriodicTasksTable applies it for you.
--
-- A row of a tenant schema runs its task for that tenant. A row of the
-- shared schema runs a public task once, in the shared schema, and any
-- other task for every ready tenant, or for the tenants listed in its
-- tenants column. The scheduler names each row name@schema (a name that
-- already contains @ is kept as it is); a name seen twice is reported with
-- both schemas, and the later row is skipped.
--
-- Each row sets exactly one of cron, every_seconds and clocked_at. A
-- clocked row is a one-off: it runs once at clocked_at, then the scheduler
-- disables it. The scheduler rereads enabled rows of every schema at each
-- tick, so edits take effect within one tick, and writes total_run_count
-- and last_run_at back to the row's own schema.
create table if not exists tenantgen_periodic_tasks (
    name            text primary key check (name <> ''),
    task            text not null,
    args            jsonb not null default '[]',
    cron            text,
    every_seconds   bigint check (every_seconds >= 1),
    clocked_at      timestamptz,
    tenants         text[],
    enabled         boolean not null default true,
    total_run_count bigint not null default 0,
    last_run_at     timestamptz,
    updated_at      timestamptz not null default now(),
    check (num_nonnulls(cron, every_seconds, clocked_at) = 1)
);
