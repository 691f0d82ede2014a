import { defineConfig } from 'vitest/config';

// Load .wgsl files as text, exactly as esbuild's text loader does for the bundle.
const wgslText = {
  name: 'wgsl-text',
  transform(code: string, id: string) {
    if (id.endsWith('.wgsl')) return { code: `export default ${JSON.stringify(code)};`, map: null };
    return undefined;
  },
};

export default defineConfig({
  plugins: [wgslText],
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/e2e/**'],
    globalSetup: ['tests/setup/build.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One GPU device per worker; lavapipe has 2 cores, so run files one at a time.
    fileParallelism: false,
    pool: 'forks',
  },
});
