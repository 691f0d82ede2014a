// One way to assemble a WGSL program from the files in shaders/: compose(). Each file declares, in `//!`
// comment lines at its top, what it needs and what it gives:
//   //! requires: tap laneSetup      symbols another file must provide (functions, variables)
//   //! provides: tap tapw laneSetup symbols this file declares for others
//   //! const: WG TP WIDE: bool      constants the caller passes (u32 unless typed: u32, i32, f32, bool)
//   //! alias: T                     type aliases the caller passes (e.g. 'vec4<f32>')
//   //! params: n H W scale: f32 w: vec4<f32>[64]
//                                    the kernel's parameter block: compose() writes `struct Params` (fields
//                                    u32 unless typed: u32, i32, f32, or an array vec4<u32|i32|f32>[k]) with
//                                    WGSL's uniform alignment padding, and binds it as `p` after the
//                                    program's last storage binding. TypeScript fills it by field name.
// compose(main, values, chosen) starts from `main` plus the `chosen` files, adds for every symbol still
// required the one library file that provides it (a symbol with several providers must be chosen by the
// caller), checks that each symbol has exactly one provider and that the caller passed exactly the declared
// constants, and emits: the `enable` directives of all parts (WGSL wants them first), the constants as
// `const` / `alias` declarations, then the parts, providers before the files that use them.
// Every value TypeScript gives a shader goes through compose(): there are no pipeline-overridable constants,
// so a composed source is the whole program and the kernel cache keys pipelines by its hash.

export type ConstValue = number | boolean | string;

export interface Shader {
  /** Label for errors and profiles: the main file and the chosen parts. */
  name: string;
  source: string;
  /** Hash of the full source (the kernel cache key). */
  hash: string;
  /**
   * Hash of the parts without the constants: programs that differ only in constant values share it, and their
   * bindings and parameter layout (reflected once per layoutKey by the kernel cache).
   */
  layoutKey: string;
  consts: Readonly<Record<string, ConstValue>>;
}

interface Part {
  name: string;
  body: string;
  enables: string[];
  requires: string[];
  provides: string[];
  consts: Map<string, string>;
  /** The `//! params:` fields (name, WGSL type), or null. */
  params: { name: string; type: string }[] | null;
}

const TYPES = new Set(['u32', 'i32', 'f32', 'bool', 'alias']);

function words(s: string): string[] {
  return s.split(/[\s,]+/).filter(Boolean);
}

/** Reads the `//!` declarations of a shader file. */
export function parsePart(name: string, text: string): Part {
  const part: Part = { name, body: '', enables: [], requires: [], provides: [], consts: new Map(), params: null };
  const body: string[] = [];
  for (const line of text.split('\n')) {
    const d = /^\/\/!\s*(\w+):(.*)$/.exec(line);
    const en = /^enable\s+[\w, ]+;\s*$/.exec(line);
    if (en) part.enables.push(line.trim());
    else body.push(line);
    if (!d) continue;
    const [, key, rest] = d;
    if (key === 'requires') part.requires.push(...words(rest));
    else if (key === 'provides') part.provides.push(...words(rest));
    else if (key === 'alias') for (const w of words(rest)) part.consts.set(w, 'alias');
    else if (key === 'params') (part.params ??= []).push(...paramFields(name, rest));
    else if (key === 'const') {
      for (const decl of rest.split(',').map((s) => s.trim()).filter(Boolean)) {
        const m = /^(\w+)(?:\s*:\s*(\w+))?$/.exec(decl);
        if (!m || (m[2] && !TYPES.has(m[2]))) throw new Error(`shader '${name}': bad constant declaration '${decl}'`);
        part.consts.set(m[1], m[2] ?? 'u32');
      }
    } else throw new Error(`shader '${name}': unknown declaration '//! ${key}:'`);
  }
  for (const s of part.provides) {
    if (part.params && (s === 'Params' || s === 'p')) continue;
    if (!new RegExp(`(?:fn|var(?:<[^>]*>)?|const|alias|struct)\\s+${s}\\b`).test(text)) {
      throw new Error(`shader '${name}': declares that it provides '${s}' but does not define it`);
    }
  }
  part.body = body.join('\n');
  return part;
}

const PARAM_TYPE = /^(?:u32|i32|f32|vec4<(?:u32|i32|f32)>\[[1-9]\d*\])$/;

/** The fields of a `//! params:` line: `name` (u32) or `name: type`. */
function paramFields(shader: string, text: string): { name: string; type: string }[] {
  const fields: { name: string; type: string }[] = [];
  const re = /(\w+)(?:\s*:\s*([^\s,]+))?/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const type = m[2] ?? 'u32';
    if (!PARAM_TYPE.test(type)) throw new Error(`shader '${shader}': parameter '${m[1]}' has type '${type}'; use u32, i32, f32 or vec4<u32|i32|f32>[k]`);
    if (m[1].startsWith('_')) throw new Error(`shader '${shader}': parameter names starting with '_' are reserved for padding ('${m[1]}')`);
    fields.push({ name: m[1], type });
  }
  return fields;
}

/**
 * `struct Params` for `fields` with WGSL's uniform layout made explicit: an array of vec4 starts on a 16-byte
 * boundary and the block is a whole number of 16-byte rows (`_padN` fields fill the gaps; TypeScript skips
 * them), and its binding as `p`.
 */
function paramsBlock(fields: readonly { name: string; type: string }[], binding: number): string {
  const out: string[] = [];
  let offset = 0;
  let pad = 0;
  const fill = () => {
    while (offset % 16) {
      out.push(`_pad${pad++}: u32`);
      offset += 4;
    }
  };
  for (const f of fields) {
    const arr = /^(vec4<\w+>)\[(\d+)\]$/.exec(f.type);
    if (arr) {
      fill();
      out.push(`${f.name}: array<${arr[1]}, ${arr[2]}>`);
      offset += 16 * Number(arr[2]);
    } else {
      out.push(`${f.name}: ${f.type}`);
      offset += 4;
    }
  }
  fill();
  const rows: string[] = [];
  for (let i = 0; i < out.length; i += 4) rows.push(`  ${out.slice(i, i + 4).join(', ')},`);
  return `struct Params {\n${rows.join('\n')}\n}\n@group(0) @binding(${binding}) var<uniform> p: Params;`;
}

function literal(shader: string, name: string, type: string, v: ConstValue): string {
  if (type === 'alias') {
    if (typeof v !== 'string') throw new Error(`shader '${shader}': alias ${name} needs a type name; got ${String(v)}`);
    return `alias ${name} = ${v};`;
  }
  if (type === 'bool') {
    if (v !== true && v !== false && v !== 0 && v !== 1) throw new Error(`shader '${shader}': ${name} must be a boolean; got ${String(v)}`);
    return `const ${name}: bool = ${v === true || v === 1};`;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`shader '${shader}': ${name} must be a number; got ${String(v)}`);
  if (type === 'f32') return `const ${name}: f32 = ${Number.isInteger(v) ? v.toFixed(1) : String(v)};`;
  if (!Number.isInteger(v) || (type === 'u32' && v < 0)) throw new Error(`shader '${shader}': ${name} must be ${type === 'u32' ? 'a non-negative ' : 'an '}integer; got ${v}`);
  return `const ${name}: ${type} = ${v}${type === 'u32' ? 'u' : 'i'};`;
}

/** cyrb53: a 53-bit string hash, as 14 hex digits. */
function hash53(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

export class ShaderLibrary {
  private parts = new Map<string, Part>();
  private providers = new Map<string, string[]>();
  /** Composed programs per main file, found by comparing the chosen parts and values (no string key: this runs on every dispatch). */
  private memo = new Map<string, { chosen: readonly string[]; values: Record<string, ConstValue>; count: number; shader: Shader }[]>();

  /** `files`: shader name (file name without .wgsl) → text. */
  constructor(files: Record<string, string>) {
    for (const [name, text] of Object.entries(files)) {
      const p = parsePart(name, text);
      this.parts.set(name, p);
      for (const s of p.provides) this.providers.set(s, [...(this.providers.get(s) ?? []), name]);
    }
  }

  /** The names of the library's files. */
  get names(): string[] {
    return [...this.parts.keys()];
  }

  private part(name: string): Part {
    const p = this.parts.get(name);
    if (!p) throw new Error(`no shader named '${name}'`);
    return p;
  }

  /** The program made of `main`, the `chosen` parts and what they require, with `values` for the declared constants. */
  compose(main: string, values: Record<string, ConstValue> = {}, chosen: readonly string[] = []): Shader {
    let cached = this.memo.get(main);
    if (cached) {
      next: for (let k = 0; k < cached.length; k++) {
        const e = cached[k];
        if (e.chosen.length !== chosen.length) continue;
        for (let i = 0; i < chosen.length; i++) if (e.chosen[i] !== chosen[i]) continue next;
        let n = 0;
        for (const c in values) {
          if (e.values[c] !== values[c]) continue next;
          n++;
        }
        if (n === e.count) return e.shader;
      }
    } else this.memo.set(main, (cached = []));
    const keys = Object.keys(values).sort();

    const parts = [main, ...chosen].map((n) => this.part(n));
    const label = [main, ...chosen].join('+');
    const provided = new Map<string, string>();
    const addProvides = (p: Part) => {
      for (const s of p.provides) {
        const other = provided.get(s);
        if (other) throw new Error(`shader '${label}': '${s}' is provided by both '${other}' and '${p.name}'`);
        provided.set(s, p.name);
      }
    };
    parts.forEach(addProvides);
    for (let i = 0; i < parts.length; i++) {
      for (const s of parts[i].requires) {
        if (provided.has(s)) continue;
        const cands = this.providers.get(s) ?? [];
        if (cands.length !== 1) {
          throw new Error(`shader '${label}': '${parts[i].name}' requires '${s}', ${cands.length ? `provided by ${cands.map((c) => `'${c}'`).join(' and ')}: choose one` : 'which no shader provides'}`);
        }
        const p = this.part(cands[0]);
        parts.push(p);
        addProvides(p);
      }
    }

    const declared = new Map<string, string>();
    for (const p of parts) for (const [n, t] of p.consts) declared.set(n, t);
    const missing = [...declared.keys()].filter((n) => !(n in values));
    const unknown = keys.filter((n) => !declared.has(n));
    if (missing.length || unknown.length) {
      throw new Error(`shader '${label}': ${missing.length ? `missing constants ${missing.join(', ')}` : ''}${missing.length && unknown.length ? '; ' : ''}${unknown.length ? `unknown constants ${unknown.join(', ')}` : ''}`);
    }

    // Providers first: each part after the parts it requires (the main file last).
    const order: Part[] = [];
    const seen = new Set<Part>();
    const visit = (p: Part) => {
      if (seen.has(p)) return;
      seen.add(p);
      for (const s of p.requires) visit(this.part(provided.get(s)!));
      order.push(p);
    };
    for (const p of parts) visit(p);

    const enables = [...new Set(order.flatMap((p) => p.enables))];
    const withParams = order.filter((p) => p.params);
    if (withParams.length > 1) throw new Error(`shader '${label}': parameters declared by both '${withParams[0].name}' and '${withParams[1].name}'`);
    let body = order.map((p) => `\n// ---- ${p.name}.wgsl\n${p.body}`).join('\n');
    if (withParams.length) {
      // The parameter block binds after the program's last storage binding.
      let last = -1;
      for (const m of body.matchAll(/@binding\((\d+)\)/g)) last = Math.max(last, Number(m[1]));
      body = `\n// ---- parameters (${withParams[0].name}.wgsl)\n${paramsBlock(withParams[0].params!, last + 1)}\n${body}`;
    }
    const source = [
      ...enables,
      `// composed: ${order.map((p) => p.name).join(' + ')}`,
      ...[...declared].map(([n, t]) => literal(label, n, t, values[n])),
      body,
    ].join('\n');
    const shader: Shader = {
      name: label, source, hash: `${hash53(source)}-${source.length}`, layoutKey: `${hash53(body)}-${body.length}`, consts: { ...values },
    };
    if (cached.length > 2000) cached.length = 0; // runaway distinct constants
    cached.push({ chosen: [...chosen], values: { ...values }, count: keys.length, shader });
    return shader;
  }
}
