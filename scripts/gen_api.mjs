#!/usr/bin/env node
// Writes docs/API.md: every name src/index.ts exports (the `gradsight` package), grouped by source file, with
// its signature and TSDoc comment, read with the TypeScript compiler API. `--check` compares instead of writing
// and exits 1 when docs/API.md is out of date (tests/examples/api.test.ts runs it).
//   node scripts/gen_api.mjs [--check]
import ts from 'typescript';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'docs', 'API.md');
const ENTRY = join(ROOT, 'src', 'index.ts');

const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
const program = ts.createProgram([ENTRY], { ...(config?.options ?? {}), noEmit: true });
const checker = program.getTypeChecker();
const entry = program.getSourceFile(ENTRY);
const F = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType | ts.TypeFormatFlags.WriteArrowStyleSignature;

const clip = (s, n = 300) => (s.length > n ? `${s.slice(0, n)}…` : s);
const oneLine = (s) => s.replace(/\s+/g, ' ').trim();

function doc(sym) {
  const text = ts.displayPartsToString(sym.getDocumentationComment(checker)).trim();
  const tags = sym.getJsDocTags(checker)
    .filter((t) => t.name !== 'param')
    .map((t) => `*@${t.name}* ${ts.displayPartsToString(t.text ?? [])}`.trim());
  return [text, ...tags].filter(Boolean).join('\n\n');
}

/** Marked `@internal` in its TSDoc: not part of the documented API. */
function isInternal(sym) {
  return sym.getJsDocTags(checker).some((t) => t.name === 'internal');
}

function paramDocs(sig) {
  return sig.getParameters()
    .map((p) => [p.getName(), ts.displayPartsToString(p.getDocumentationComment(checker)).trim()])
    .filter(([, d]) => d)
    .map(([n, d]) => `- \`${n}\`: ${oneLine(d)}`);
}

function signatures(name, type) {
  return type.getCallSignatures().map((s) => `${name}${oneLine(checker.signatureToString(s, undefined, F))}`.replace(/\) => /, '): '));
}

function kindOf(sym) {
  const f = sym.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  if (f & ts.SymbolFlags.Enum) return 'enum';
  if (f & ts.SymbolFlags.Variable) return 'const';
  return 'value';
}

function memberLines(sym, isClass) {
  const out = [];
  const members = [];
  const decl = sym.declarations?.[0];
  if (!decl) return out;
  if (isClass) {
    const type = checker.getTypeOfSymbolAtLocation(sym, decl);
    for (const s of type.getProperties()) if (s.getName() !== 'prototype') members.push([s, true]);
    for (const s of checker.getDeclaredTypeOfSymbol(sym).getProperties()) members.push([s, false]);
  } else {
    for (const s of checker.getDeclaredTypeOfSymbol(sym).getProperties()) members.push([s, false]);
  }
  for (const [m, isStatic] of members) {
    const md = m.declarations?.[0];
    // Only what the repository declares (not members inherited from the standard library, e.g. Error's).
    if (!md || !md.getSourceFile().fileName.startsWith(join(ROOT, 'src'))) continue;
    const mods = ts.getCombinedModifierFlags(md);
    if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) || m.getName().startsWith('#') || m.getName().startsWith('_') || isInternal(m)) continue;
    const mt = checker.getTypeOfSymbolAtLocation(m, md);
    const prefix = isStatic ? 'static ' : '';
    const readonly = mods & ts.ModifierFlags.Readonly ? 'readonly ' : '';
    let line;
    if (ts.isMethodDeclaration(md) || ts.isMethodSignature(md)) {
      line = signatures(m.getName(), mt).map((s) => `\`${prefix}${s}\``).join(' / ');
    } else if (ts.isGetAccessorDeclaration(md)) {
      line = `\`${prefix}get ${m.getName()}: ${clip(oneLine(checker.typeToString(mt, undefined, F)), 200)}\``;
    } else {
      const opt = m.flags & ts.SymbolFlags.Optional ? '?' : '';
      line = `\`${prefix}${readonly}${m.getName()}${opt}: ${clip(oneLine(checker.typeToString(mt, undefined, F)), 200)}\``;
    }
    const d = oneLine(doc(m));
    out.push(`- ${line}${d ? ` — ${d}` : ''}`);
  }
  return out;
}

function entryFor(name, sym) {
  const decl = sym.declarations?.[0];
  const kind = kindOf(sym);
  const lines = [`### \`${name}\` <sub>${kind}</sub>`, ''];
  if (kind === 'function') {
    const type = checker.getTypeOfSymbolAtLocation(sym, decl);
    const sigs = type.getCallSignatures();
    lines.push('```ts', ...signatures(name, type).map((s) => `function ${s}`), '```', '');
    const d = doc(sym);
    if (d) lines.push(d, '');
    const pd = sigs.length ? paramDocs(sigs[0]) : [];
    if (pd.length) lines.push(...pd, '');
  } else if (kind === 'class' || kind === 'interface') {
    if (kind === 'interface') {
      const ext = decl.heritageClauses?.map((h) => h.getText()).join(' ');
      if (ext) lines.push(`\`interface ${name} ${oneLine(ext)}\``, '');
    }
    const d = doc(sym);
    if (d) lines.push(d, '');
    const ms = memberLines(sym, kind === 'class');
    if (ms.length) lines.push(...ms, '');
  } else if (kind === 'type') {
    const text = ts.isTypeAliasDeclaration(decl) ? oneLine(decl.type.getText()) : checker.typeToString(checker.getDeclaredTypeOfSymbol(sym), undefined, F);
    lines.push('```ts', `type ${name} = ${clip(text, 400)}`, '```', '');
    const d = doc(sym);
    if (d) lines.push(d, '');
  } else {
    const type = checker.getTypeOfSymbolAtLocation(sym, decl);
    lines.push('```ts', `const ${name}: ${clip(oneLine(checker.typeToString(type, undefined, F)), 300)}`, '```', '');
    const d = doc(sym);
    if (d) lines.push(d, '');
  }
  return lines;
}

const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(entry));
const byFile = new Map();
for (const e of exports) {
  const sym = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
  const decl = sym.declarations?.[0];
  if (!decl) continue;
  const file = relative(ROOT, decl.getSourceFile().fileName).split('\\').join('/');
  if (!byFile.has(file)) byFile.set(file, []);
  byFile.get(file).push({ name: e.getName(), sym, pos: decl.getStart() });
}
const files = [...byFile.keys()].sort();
const md = [
  '# gradsight API reference',
  '',
  'Everything `import { … } from \'gradsight\'` offers (what `src/index.ts` exports), by source file, with the',
  'signatures and TSDoc comments of the source. Generated by `node scripts/gen_api.mjs`; do not edit by hand',
  '(`tests/examples/api.test.ts` fails when this file is out of date). Runnable scripts: `examples/`.',
  '',
  '## Contents',
  '',
  ...files.map((f) => `- [\`${f}\`](#${f.replace(/[^a-z0-9]+/gi, '').toLowerCase()}): ${byFile.get(f).sort((a, b) => a.pos - b.pos).map((x) => `\`${x.name}\``).join(', ')}`),
  '',
];
for (const f of files) {
  md.push(`## ${f}`, '');
  const intro = [];
  for (const l of readFileSync(join(ROOT, f), 'utf8').split('\n')) {
    if (!l.startsWith('//')) break;
    intro.push(l.replace(/^\/\/ ?/, ''));
  }
  if (intro.length) md.push(intro.map((l) => `> ${l}`).join('\n'), '');
  for (const { name, sym } of byFile.get(f).sort((a, b) => a.pos - b.pos)) md.push(...entryFor(name, sym));
}
const text = `${md.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;

if (process.argv.includes('--check')) {
  const old = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
  if (old !== text) {
    console.error(`docs/API.md is out of date (${exports.length} exports): run node scripts/gen_api.mjs`);
    process.exit(1);
  }
  console.log(`docs/API.md is up to date (${exports.length} exports)`);
} else {
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, text);
  console.log(`wrote docs/API.md: ${exports.length} exports from ${files.length} files`);
}
