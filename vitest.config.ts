import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60000,
    setupFiles: ['test/helpers/yieldBetweenTests.ts'],
  },
});
