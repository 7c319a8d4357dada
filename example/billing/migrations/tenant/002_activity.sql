-- activity records every task that finished for the tenant, with the
-- tenant and schema the task saw: the example's proof that each task ran in
-- its own tenant's schema. A retried or redelivered task updates its row.
create table activity (
    task_id     text primary key,
    task        text not null,
    tenant_id   text not null,
    schema_name text not null,
    attempt     int not null,
    done_at     timestamptz not null default now()
);
