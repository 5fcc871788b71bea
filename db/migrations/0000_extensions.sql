-- Extensions the design summary names. uuid-ossp backs primary keys; pg_trgm and btree_gin back
-- search indexes; pg_stat_statements is for query monitoring (it needs shared_preload_libraries
-- to collect, which the local server and Aurora's parameter group set).
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS btree_gin;--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
