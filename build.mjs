// Bundles the library (platform-neutral ESM), the CLI (Node) and the browser page.
// Shaders are pulled in as text so one bundle runs in Node and in a browser.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, chmodSync } from 'node:fs';

const common = {
  bundle: true,
  format: 'esm',
  sourcemap: true,
  target: 'es2022',
  loader: { '.wgsl': 'text' },
  logLevel: 'warning',
};

await esbuild.build({
  ...common,
  entryPoints: { index: 'src/index.ts' },
  outdir: 'dist',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  external: ['webgpu', 'node:*'],
});

if (existsSync('src/cli/main.ts')) {
  await esbuild.build({
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    platform: 'node',
    external: ['webgpu'],
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  chmodSync('dist/cli.js', 0o755);
}

if (existsSync('src/web/main.ts')) {
  mkdirSync('dist/web', { recursive: true });
  await esbuild.build({
    ...common,
    entryPoints: { app: 'src/web/main.ts' },
    outdir: 'dist/web',
    platform: 'browser',
    external: ['webgpu', 'node:*'],
  });
  for (const f of ['index.html', 'style.css']) if (existsSync(`src/web/${f}`)) cpSync(`src/web/${f}`, `dist/web/${f}`);
}
