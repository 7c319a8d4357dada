-- The billing tables of one tenant. runtime.App.CreateTenant applies this
-- file with the tenant's schema first on search_path, so the names below
-- are created in that schema.
create table customers (
    id          text primary key,
    email       text not null,
    name        text not null default '',
    imported_at timestamptz not null default now()
);

create table invoices (
    id      text primary key,
    email   text not null,
    cents   bigint not null,
    sent_at timestamptz
);

create table charges (
    task_id     text primary key,
    customer_id text not null,
    cents       bigint not null,
    charged_at  timestamptz not null default now()
);

create table usage_events (
    task_id     text primary key,
    customer_id text not null,
    metric      text not null,
    quantity    bigint not null,
    at          timestamptz not null
);

create table ledger_syncs (
    task_id   text primary key,
    attempts  int not null,
    synced_at timestamptz not null default now()
);

create table digests (
    period   text primary key,
    invoices bigint not null,
    task_id  text not null
);
