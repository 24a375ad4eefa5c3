import { defineConfig } from 'vitest/config'

// Unit tests: pure logic under src/lib (files needing a DOM opt in with `@vitest-environment jsdom`).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts'],
    environment: 'node',
  },
})
