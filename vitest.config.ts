import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure, fakes allowed, no servers) and `integration` (one embedded
// PostgreSQL per run, a fresh database per test file cloned from a migrated template, plus real
// s3rver / emulators started by the tests that need them).
// Node 20 is this machine's runtime (Lambda runs 22); the SDK's upgrade notice is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/support/polyfills.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['test/integration/**/*.test.ts', 'test/infra/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/polyfills.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          pool: 'forks',
          // 2 cores: keep file-level parallelism modest so PostgreSQL and sharp get CPU.
          maxWorkers: 2,
        },
      },
    ],
  },
});
