import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // The tests run the real `federizer` command, i.e. the built JavaScript: build it first.
    globalSetup: ['./test/build-cli.ts'],
  },
})
