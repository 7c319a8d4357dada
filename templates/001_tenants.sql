-- The tenants table read by tenantgen's default TenantStore
-- (runtime.TableStore). Apply it in the shared schema: the worker looks
-- tenants up here, and takes each tenant's schema from this table only,
-- never from a task.
--
-- Rules checked again by the runtime on every use:
--   id           ASCII letters, digits and _ . -, at most 64 bytes
--   schema_name  lowercase ASCII letters, digits and _, at most 63 bytes,
--                not starting with pg_ (PostgreSQL would truncate longer
--                names and reserves pg_)
-- A task runs only for a tenant whose ready flag is set: the runtime's
-- CreateTenant sets it once the tenant's schema is migrated.
create table if not exists tenants (
    id          text primary key
                check (id ~ '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$'),
    schema_name text not null unique
                check (schema_name ~ '^[a-z_][a-z0-9_]{0,62}$' and schema_name not like 'pg\_%'),
    name        text not null default '',
    ready       boolean not null default false,
    attrs       jsonb not null default '{}',
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
