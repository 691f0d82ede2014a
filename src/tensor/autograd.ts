// Reverse-mode autodiff. An op that may need a gradient attaches a node to its output with record(): the
// inputs and a backward closure mapping the output's gradient to the inputs' gradients (ops/*.ts keep each
// closure next to its forward). backward() walks the graph from the root in reverse topological order,
// summing the gradients that reach a tensor from several consumers.
import { fmtShape } from '../shape.js';
import { keep } from './scope.js';
import type { Tensor } from './tensor.js';

/** Something a node keeps alive until its output is disposed (e.g. max-pool arg-max indices). */
export interface Saved { dispose(): void }
/**
 * needs[i]: input i requires a gradient. free[i]: and that gradient goes only to the backward of the op that
 * computed input i (no caller asked for it, no .grad keeps it), so a rule may hand over a gradient that the
 * producer would transform anyway, already transformed (a ReLU mask: see Tensor.masksGrad / maskedFor).
 */
export type BackwardFn = (grad: Tensor, needs: readonly boolean[], free: readonly boolean[]) => readonly (Tensor | null | undefined)[];
export interface GradNode { op: string; inputs: readonly Tensor[]; backward: BackwardFn; saved: Saved[] }

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording the graph (no gradients flow through what it computes). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** @internal Attach a graph node to `out` if grad mode is on and an input needs a gradient. */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: BackwardFn, saved: Saved[] = []): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, backward, saved };
  } else for (const s of saved) s.dispose();
  return out;
}

/** Tensors that `root` depends on through inputs requiring grad, inputs before their consumers (iterative DFS). */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const inputs = top[0].node?.inputs ?? [];
    if (top[1] < inputs.length) {
      const inp = inputs[top[1]++];
      if (inp.requiresGrad && !seen.has(inp)) {
        seen.add(inp);
        stack.push([inp, 0]);
      }
    } else order.push(stack.pop()![0]);
  }
  return order;
}

/**
 * Gradients of `root` (one element, or pass `seed` of root's size) with respect to `wrt`, without touching
 * `.grad`. The returned tensors belong to the caller (or the enclosing scope); a tensor in `wrt` that `root`
 * does not depend on gets zeros.
 */
export function grad(root: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  const res = runBackward(root, seed, new Set(wrt));
  return wrt.map((t) => res.get(t) ?? root.device.zeros(t.shape));
}

/** Accumulate d root / d leaf into `.grad` of every leaf (and retainGrad tensor) that requires grad. */
export function backward(root: Tensor, seed?: Tensor): void {
  runBackward(root, seed, null);
}

function runBackward(root: Tensor, seed: Tensor | undefined, want: Set<Tensor> | null): Map<Tensor, Tensor> {
  checkRoot(root, seed);
  const { device } = root;
  const results = new Map<Tensor, Tensor>();
  noGrad(() => {
    const grads = new Map<Tensor, Tensor>([[root, seed ? seed.reshape(root.shape) : device.full(root.shape, 1)]]);
    const isWanted = (t: Tensor) => (want ? want.has(t) : !t.node || t.retainsGrad);
    const order = topoOrder(root);
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      const wanted = isWanted(t);
      if (wanted && want) results.set(t, g);
      else if (wanted) {
        const old = t.grad;
        t.grad = keep(old ? device.addSame(old, g) : g.detach());
        old?.dispose();
      }
      if (t.node) propagate(t.node, g, grads, isWanted);
      if (!(wanted && want)) g.dispose();
    }
    for (const g of grads.values()) g.dispose();
  });
  return results;
}

/** Runs one node's backward and adds the input gradients into `grads`. */
function propagate(node: GradNode, g: Tensor, grads: Map<Tensor, Tensor>, isWanted: (t: Tensor) => boolean): void {
  for (const inp of node.inputs) {
    if (inp.disposed) {
      throw new Error(`backward(): ${node.op} needs its input of shape ${fmtShape(inp.shape)}, which was disposed (by tidy() or dispose()); call backward() inside the tidy() that built the graph, or keep() the intermediates`);
    }
  }
  const needs = node.inputs.map((i) => i.requiresGrad);
  const free = node.inputs.map((i) => i.requiresGrad && !!i.node && !isWanted(i));
  const gin = node.backward(g, needs, free);
  const seen = new Set<Tensor>();
  node.inputs.forEach((inp, i) => {
    let gi = gin[i];
    if (!needs[i] || !gi) {
      if (gi && gi !== g && !seen.has(gi)) gi.dispose();
      return;
    }
    const masked = gi.maskedFor;
    if (gi === g || seen.has(gi)) gi = gi.detach(); // a shared view, so each owner can dispose its own
    seen.add(gi);
    if (gi.size !== inp.size) throw new Error(`internal: backward of ${node.op} gave a gradient of shape ${fmtShape(gi.shape)} for an input of shape ${fmtShape(inp.shape)}`);
    if (gi.shape.length !== inp.shape.length || gi.shape.some((d, j) => d !== inp.shape[j])) {
      const r = gi.reshape(inp.shape);
      gi.dispose();
      gi = r;
    }
    gi.maskedFor = masked;
    const prev = grads.get(inp);
    if (prev) {
      // A sum is masked only if both parts are.
      const sum = inp.device.addSame(prev, gi);
      sum.maskedFor = prev.maskedFor === gi.maskedFor ? gi.maskedFor : null;
      grads.set(inp, sum);
      prev.dispose();
      gi.dispose();
    } else grads.set(inp, gi);
  });
}

function checkRoot(root: Tensor, seed: Tensor | undefined): void {
  root.store();
  if (!seed && root.size !== 1) {
    throw new Error(`backward() needs a scalar (one-element) tensor; got shape ${fmtShape(root.shape)} from ${root.node?.op ?? 'a leaf'} — reduce it first with sum() or mean()`);
  }
  if (seed && seed.size !== root.size) throw new Error(`backward(): seed of shape ${fmtShape(seed.shape)} does not match ${fmtShape(root.shape)}`);
  if (!root.requiresGrad) throw new Error('backward(): the tensor does not require grad (no input with requiresGrad, or computed under noGrad)');
}
