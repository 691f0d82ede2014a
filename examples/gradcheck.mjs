// A custom function's gradient from gradsight's autodiff, checked against central finite differences.
//   node examples/gradcheck.mjs [--checks 12] [--eps 1e-2]
// f(x) = Σ log(1 + exp(conv2d(x, w))) · v + mean(x²) — smooth, so finite differences converge.
// Exits with status 1 when the worst relative error exceeds 1e-2.
import { parseArgs } from 'node:util';
import { Device, conv2d, grad, tidy, sum, mean, mul, square, add, exp, log } from 'gradsight';

const { values } = parseArgs({ options: { checks: { type: 'string', default: '12' }, eps: { type: 'string', default: '1e-2' } } });
const eps = Number(values.eps);

// A small deterministic generator, so every run checks the same numbers.
let seed = 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const fill = (n, scale) => Float32Array.from({ length: n }, () => rand() * scale);

const device = await Device.create();
const shape = [1, 2, 6, 6];
const xData = fill(72, 1);
const w = device.tensor(fill(3 * 2 * 3 * 3, 0.4), [3, 2, 3, 3]);
const v = device.tensor(fill(3 * 6 * 6, 1), [1, 3, 6, 6]);

/** f on the GPU; with `withGrad`, also ∂f/∂x by reverse-mode autodiff. */
async function f(data, withGrad = false) {
  const x = device.tensor(data, shape, { requiresGrad: withGrad });
  const [y, g] = tidy(() => {
    const z = conv2d(x, w, null, { stride: 1, padding: 1 });
    const softplus = log(add(exp(z), 1));
    const out = add(sum(mul(softplus, v)), mean(square(x)));
    return [out, withGrad ? grad(out, [x])[0] : null];
  });
  const value = await y.item();
  const gradient = g ? await g.toArray() : null;
  for (const t of [x, y, g]) t?.dispose();
  return { value, gradient };
}

const { value, gradient } = await f(xData, true);
console.log(`f(x) = ${value.toFixed(5)}`);
let worst = 0;
for (let k = 0; k < Number(values.checks); k++) {
  const i = Math.floor(((rand() + 1) / 2) * xData.length);
  const plus = Float32Array.from(xData), minus = Float32Array.from(xData);
  plus[i] += eps;
  minus[i] -= eps;
  const fd = ((await f(plus)).value - (await f(minus)).value) / (2 * eps);
  const err = Math.abs(fd - gradient[i]) / Math.max(1e-3, Math.abs(fd), Math.abs(gradient[i]));
  worst = Math.max(worst, err);
  console.log(`x[${String(i).padStart(2)}]: autodiff ${gradient[i].toFixed(5).padStart(9)}  finite difference ${fd.toFixed(5).padStart(9)}  rel. error ${err.toExponential(1)}`);
}
console.log(`worst relative error ${worst.toExponential(2)} — ${worst < 1e-2 ? 'gradients agree' : 'GRADIENTS DISAGREE'}`);
w.dispose();
v.dispose();
device.destroy();
process.exitCode = worst < 1e-2 ? 0 : 1;
