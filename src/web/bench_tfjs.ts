// TensorFlow.js (WebGPU backend) beside gradsight in the Bench view, loaded only when asked: `gradsight serve`
// bundles @tensorflow/tfjs-core (with its gradients) and @tensorflow/tfjs-backend-webgpu from node_modules into
// /vendor/tfjs.js on first request (src/cli/vendor.ts). They are devDependencies: where they are not installed
// the server answers 404 with the reason, and the view says side-by-side is unavailable.
// SqueezeNet 1.1 in tfjs ops (NHWC, as bench/tfjs_squeezenet.mjs), with the same weights as the page's model,
// and saliency with the same one-class shortcut as gradsight's classScores.
/* eslint-disable @typescript-eslint/no-explicit-any */
type TF = any;
type T = any;

export interface TfjsPeer {
  version: string;
  forward(n: number): () => Promise<void>;
  saliency(n: number): () => Promise<void>;
  dispose(): void;
}

const FIRES = [3, 4, 6, 7, 9, 10, 11, 12];
const POOLS = [2, 5, 8];

let loaded: Promise<TF> | null = null;

/** tfjs with the webgpu backend, or an Error saying why not (e.g. the packages are not installed). */
export async function loadTfjs(): Promise<TF> {
  loaded ??= (async () => {
    const r = await fetch('/vendor/tfjs.js', { method: 'HEAD' });
    if (!r.ok) {
      const why = (await fetch('/vendor/tfjs.js').then((x) => x.text()).catch(() => '')).trim();
      throw new Error(why || `the server has no /vendor/tfjs.js (HTTP ${r.status})`);
    }
    const spec = '/vendor/tfjs.js';
    const tf: TF = await import(/* @vite-ignore */ spec);
    tf.env().set('IS_TEST', false);
    tf.enableProdMode();
    if (!(await tf.setBackend('webgpu'))) throw new Error('the tfjs webgpu backend failed to initialise on this adapter');
    await tf.ready();
    return tf;
  })();
  try {
    return await loaded;
  } catch (e) {
    loaded = null;
    throw e;
  }
}

/** Is /vendor/tfjs.js served? (null: yes; else the reason it is not) */
export async function tfjsUnavailable(): Promise<string | null> {
  try {
    const r = await fetch('/vendor/tfjs.js', { method: 'HEAD' });
    if (r.ok) return null;
    return (await fetch('/vendor/tfjs.js').then((x) => x.text())).trim() || `HTTP ${r.status}`;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The tfjs SqueezeNet on `dict` (torchvision layout), and forward / saliency steps at batch n on input `x(n)` (NCHW). */
export function tfjsPeer(tf: TF, dict: Map<string, { shape: number[]; data: Float32Array }>, input: (n: number) => Float32Array, classes: (n: number) => number[]): TfjsPeer {
  const p = new Map<string, T>();
  for (const [name, t] of dict) {
    const v = tf.tensor(t.data, t.shape, 'float32');
    p.set(name, t.shape.length === 4 ? tf.keep(tf.transpose(v, [2, 3, 1, 0])) : tf.keep(v));
    if (t.shape.length === 4) v.dispose();
  }
  const conv = (x: T, name: string, stride = 1, pad = 'valid') => tf.relu(tf.add(tf.conv2d(x, p.get(`${name}.weight`), stride, pad), p.get(`${name}.bias`)));
  const features = (x: T) => {
    let h = conv(x, 'features.0', 2);
    for (const i of FIRES) {
      if (POOLS.includes(i - 1)) h = tf.maxPool(h, 3, 2, 'valid'); // SqueezeNet 1.1 at 224×224: ceil = floor
      const s = conv(h, `features.${i}.squeeze`);
      h = tf.concat([conv(s, `features.${i}.expand1x1`), conv(s, `features.${i}.expand3x3`, 1, 'same')], 3);
    }
    return h;
  };
  const forward = (x: T) => tf.mean(conv(features(x), 'classifier.1'), [1, 2]);
  const xs = new Map<number, T>();
  const x = (n: number) => {
    let t = xs.get(n);
    if (!t) xs.set(n, (t = tf.keep(tf.tidy(() => tf.transpose(tf.tensor4d(input(n), [n, 3, 224, 224]), [0, 2, 3, 1])))));
    return t;
  };
  const grads = new Map<number, (xi: T) => T>();
  const gradOf = (n: number) => {
    let g = grads.get(n);
    if (!g) {
      const idx = tf.keep(tf.tensor1d(classes(n), 'int32'));
      const C = p.get('classifier.1.bias').shape[0];
      const w2 = tf.keep(tf.reshape(p.get('classifier.1.weight'), [512, C]));
      g = tf.grad((xi: T) => {
        const h = features(xi);
        const w = tf.transpose(tf.gather(w2, idx, 1));
        const b = tf.gather(p.get('classifier.1.bias'), idx);
        const s = tf.relu(tf.add(tf.sum(tf.mul(h, tf.reshape(w, [n, 1, 1, 512])), 3), tf.reshape(b, [n, 1, 1])));
        return tf.sum(tf.mean(s, [1, 2]));
      }) as (xi: T) => T;
      grads.set(n, g);
    }
    return g;
  };
  return {
    version: tf.version_core ?? tf.version?.['tfjs-core'] ?? '',
    forward: (n) => async () => {
      const y = tf.tidy(() => forward(x(n)));
      await y.data();
      y.dispose();
    },
    saliency: (n) => async () => {
      const g = gradOf(n);
      const m = tf.tidy(() => tf.max(tf.abs(g(x(n))), 3));
      await m.data();
      m.dispose();
    },
    dispose: () => {
      for (const t of p.values()) t.dispose();
      for (const t of xs.values()) t.dispose();
    },
  };
}
