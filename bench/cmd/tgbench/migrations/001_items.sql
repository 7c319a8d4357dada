-- The tenant workload's table: one counter row per tenant schema.
CREATE TABLE items (id int PRIMARY KEY, n bigint NOT NULL DEFAULT 0);
INSERT INTO items (id, n) VALUES (1, 0);
