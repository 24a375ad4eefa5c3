// A plain object rather than vitest/config's defineConfig, whose types would bring the DOM lib into this
// workspace's typecheck (tsconfig includes *.ts).
export default {
  test: {
    // `npm run test:pg` (FEDERIZER_TEST_STORE=postgres) runs the suite on a private PostgreSQL cluster.
    globalSetup: ['../devnet/src/postgres-global-setup.ts'],
  },
}
