-- The outbox of transactional enqueues (runtime.App.Tx, App.TaskTx):
-- tasks written inside the caller's transaction, queued only if it
-- commits. The relay (Config.Outbox, App.RunRelay) deletes committed rows
-- in batches and adds their tasks to Redis. Apply it in the shared schema;
-- runtime.App.CreateOutboxTable applies it for you.
--
-- Each row is one task, prepared as for Redis: envelope is the encoded
-- envelope, signed when signing is on, with the tenant stamped at the call
-- site. due_us is the earliest start (Unix microseconds; 0: now),
-- unique_ms the unique window (0: not unique) and lock_name the unique
-- lock's name. seq orders the relay; created_at (the inserting
-- transaction's start) ages the outbox (App.OutboxStats).
--
-- Citus: keep this table local to the coordinator (do not distribute
-- it); it has no foreign keys, so it needs no co-location with tenant
-- schemas.
create table if not exists tenantgen_outbox (
    seq        bigint generated always as identity primary key,
    id         text not null,
    queue      text not null,
    tenant     text not null default '',
    task       text not null,
    envelope   text not null,
    due_us     bigint not null default 0,
    unique_ms  bigint not null default 0,
    lock_name  text not null default '',
    created_at timestamptz not null default now()
);

-- One notification per inserting statement wakes the relays listening on
-- channel tenantgen_outbox when the transaction commits (none if it rolls
-- back); the payload is the schema, so that apps sharing a database with
-- other shared schemas ignore each other's. Relays behind a transaction
-- pooler poll instead.
create or replace function tenantgen_outbox_notify() returns trigger
language plpgsql as $$
begin
    perform pg_notify('tenantgen_outbox', tg_table_schema);
    return null;
end
$$;

drop trigger if exists tenantgen_outbox_notify on tenantgen_outbox;
create trigger tenantgen_outbox_notify after insert on tenantgen_outbox
    for each statement execute function tenantgen_outbox_notify();
