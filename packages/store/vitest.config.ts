import { defineConfig } from 'vitest/config'

/**
 * Every store test runs on both dialects: the `sqlite` project on temporary files, the `postgres`
 * project on a private PostgreSQL cluster started for the run (test/postgres-setup.ts).
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'sqlite' } },
      {
        extends: true,
        test: {
          name: 'postgres',
          env: { FEDERIZER_TEST_STORE: 'postgres' },
          globalSetup: ['./test/postgres-setup.ts'],
        },
      },
    ],
  },
})
