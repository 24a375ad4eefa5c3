import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real servers, SQLite files and scrypt run on a shared, sometimes loaded machine: time limits are
    // generous on purpose (no test asserts timings).
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // `npm run test:pg` (FEDERIZER_TEST_STORE=postgres) runs the suite on a private PostgreSQL cluster.
    globalSetup: ['../devnet/src/postgres-global-setup.ts'],
  },
})
