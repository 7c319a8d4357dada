-- One row per run of the DispatchDigests dispatcher, keyed by its task ID
-- so that a retried run records once.
create table if not exists digest_dispatches (
    task_id       text primary key,
    period        text not null,
    tasks         int not null,
    dispatched_at timestamptz not null default now()
);
