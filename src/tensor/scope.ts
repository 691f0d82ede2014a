// Memory scopes (like tfjs `tidy`): every tensor created inside tidy(fn) is disposed when fn returns, except
// what it returns and what keep() takes out. Tensors register themselves here when created (track).

/** What a scope holds: a tensor, seen through the three things scopes use. */
export interface Scoped {
  readonly disposed: boolean;
  dispose(): void;
  /** @internal the scope holding it, or null */
  _scope: Set<Scoped> | null;
}

const stack: Set<Scoped>[] = [];
const tracked = new WeakSet<object>();

/** @internal Called by the Tensor constructor: put `t` in the innermost scope. */
export function track(t: Scoped): void {
  tracked.add(t);
  const scope = stack[stack.length - 1];
  if (scope) {
    scope.add(t);
    t._scope = scope;
  }
}

/** @internal Called by Tensor.dispose. */
export function untrack(t: Scoped): void {
  t._scope?.delete(t);
  t._scope = null;
}

export type Nested = Scoped | null | undefined | number | string | boolean | Nested[] | { [k: string]: Nested };

function collect(v: unknown, out: Set<Scoped>): void {
  if (v && typeof v === 'object' && tracked.has(v)) out.add(v as Scoped);
  else if (Array.isArray(v)) for (const x of v) collect(x, out);
  else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collect(x, out);
}

/**
 * Memory scope: every tensor created inside `fn` is disposed when it returns, except the tensors it returns
 * (in an array or plain object too) and those passed to keep(). Returned tensors move to the enclosing
 * scope. `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Scoped>();
  stack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    for (const t of scope) if (!t.disposed) t.dispose();
    throw e;
  }
  stack.pop();
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    throw new Error('tidy() takes a synchronous function; await outside it and tidy each step');
  }
  const kept = new Set<Scoped>();
  collect(result, kept);
  const parent = stack[stack.length - 1] ?? null;
  for (const t of scope) {
    if (t.disposed) continue;
    if (kept.has(t)) {
      t._scope = parent;
      parent?.add(t);
    } else t.dispose();
  }
  return result;
}

/** Take a tensor out of every scope: it lives until disposed by hand. */
export function keep<T extends Scoped>(t: T): T {
  untrack(t);
  return t;
}

/** Dispose tensors (arrays and plain objects of tensors too). */
export function dispose(...xs: Nested[]): void {
  const s = new Set<Scoped>();
  collect(xs, s);
  for (const t of s) if (!t.disposed) t.dispose();
}
