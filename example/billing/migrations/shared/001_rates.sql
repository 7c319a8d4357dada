-- Tables shared by every tenant, in the shared schema (Config.SharedSchema),
-- which is second on every tenant task's search_path.
create table if not exists rates (
    currency   text primary key,
    per_usd    numeric not null,
    updated_at timestamptz not null default now()
);

create table if not exists rate_refreshes (
    task_id      text primary key,
    refreshed_at timestamptz not null default now()
);
