// A plain object rather than vitest/config's defineConfig (as in apps/gateway): no DOM lib in the typecheck.
export default {
  test: {
    // The replica tests each run four server processes, a PostgreSQL cluster and haproxy: one test file
    // at a time, so two of them never share two cores and time out.
    fileParallelism: false,
  },
}
