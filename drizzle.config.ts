import { defineConfig } from 'drizzle-kit';

// Partitioned tables (db/schema/partitioned.ts) are left out: a custom migration creates them.
export default defineConfig({
  dialect: 'postgresql',
  schema: [
    './db/schema/tenancy.ts',
    './db/schema/brand.ts',
    './db/schema/content.ts',
    './db/schema/workflow.ts',
    './db/schema/usage.ts',
    './db/schema/analytics.ts',
    './db/schema/system.ts',
  ],
  out: './db/migrations',
});
