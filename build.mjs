// Bundles the library (platform-neutral ESM), the CLI (Node) and the browser page.
// Shaders are pulled in as text so one bundle runs in Node and in a browser.
// Each output is written to memory and then renamed into place, so a process running dist/ while another
// rebuilds never reads a half-written file.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, writeFileSync, renameSync, chmodSync } from 'node:fs';
import { dirname } from 'node:path';

const common = {
  bundle: true,
  format: 'esm',
  sourcemap: true,
  target: 'es2022',
  loader: { '.wgsl': 'text' },
  logLevel: 'warning',
  write: false,
};

function emit(result, mode) {
  for (const f of result.outputFiles) {
    mkdirSync(dirname(f.path), { recursive: true });
    const tmp = `${f.path}.${process.pid}.tmp`;
    writeFileSync(tmp, f.contents);
    if (mode && f.path.endsWith('.js')) chmodSync(tmp, mode);
    renameSync(tmp, f.path);
  }
}

emit(await esbuild.build({
  ...common,
  entryPoints: { index: 'src/index.ts' },
  outdir: 'dist',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  external: ['webgpu', 'node:*'],
}));

if (existsSync('src/cli/main.ts')) {
  emit(await esbuild.build({
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    platform: 'node',
    external: ['webgpu'],
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  }), 0o755);
}

if (existsSync('src/web/main.ts')) {
  emit(await esbuild.build({
    ...common,
    entryPoints: { app: 'src/web/main.ts' },
    outdir: 'dist/web',
    platform: 'browser',
    external: ['webgpu', 'node:*'],
  }));
  mkdirSync('dist/web', { recursive: true });
  for (const f of ['index.html', 'style.css']) if (existsSync(`src/web/${f}`)) cpSync(`src/web/${f}`, `dist/web/${f}`);
}
