// /vendor/tfjs.js for the page's Bench view (side by side with TensorFlow.js): @tensorflow/tfjs-core with all
// its gradients and @tensorflow/tfjs-backend-webgpu, bundled from node_modules into one ES module with esbuild
// on first request and cached in node_modules/.cache/gradsight-web/. Both packages and esbuild are
// devDependencies: in an install without them the route answers 404 with the reason, which the page shows.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const PKGS = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu'];
let building: Promise<string> | null = null;

/** The path of the bundle (built when missing or older than the packages), or an Error saying why there is none. */
export async function tfjsVendorBundle(root: string): Promise<string> {
  const pkgJson = PKGS.map((p) => join(root, 'node_modules', p, 'package.json'));
  const missing = PKGS.filter((_, i) => !existsSync(pkgJson[i]));
  if (missing.length) throw new Error(`TensorFlow.js is not installed next to gradsight (${missing.join(', ')} missing: npm i -D @tensorflow/tfjs-core@4.22 @tensorflow/tfjs-backend-webgpu@4.22)`);
  const out = join(root, 'node_modules', '.cache', 'gradsight-web', 'tfjs.js');
  const newest = Math.max(...pkgJson.map((p) => statSync(p).mtimeMs));
  if (existsSync(out) && statSync(out).mtimeMs > newest) return out;
  building ??= (async () => {
    let esbuild: { build(o: unknown): Promise<unknown> };
    try {
      const spec = 'esbuild';
      esbuild = await import(/* @vite-ignore */ spec);
    } catch {
      throw new Error('bundling TensorFlow.js for the page needs esbuild (a devDependency), which is not installed');
    }
    mkdirSync(join(root, 'node_modules', '.cache', 'gradsight-web'), { recursive: true });
    await esbuild.build({
      stdin: {
        contents: "export * from '@tensorflow/tfjs-core';\nimport '@tensorflow/tfjs-core/dist/register_all_gradients';\nimport '@tensorflow/tfjs-backend-webgpu';\n",
        resolveDir: root,
        loader: 'js',
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      minify: true,
      outfile: out,
      logLevel: 'error',
    });
    return out;
  })();
  try {
    return await building;
  } finally {
    building = null;
  }
}
