import { it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { decodeImage } from '../../src/image/decode.js';
it('scratch', () => {
  for (const f of readdirSync('tests/fixtures/image/png')) {
    try { const r = decodeImage(new Uint8Array(readFileSync('tests/fixtures/image/png/' + f)), f); console.log(f, r.width, r.height, r.data.slice(0, 6)); } catch (e) { console.log('ERR', f, (e as Error).message); }
  }
  for (const f of readdirSync('tests/fixtures/image/jpeg')) {
    try { const r = decodeImage(new Uint8Array(readFileSync('tests/fixtures/image/jpeg/' + f)), f); console.log(f, r.width, r.height, r.data.slice(0, 6)); } catch (e) { console.log('ERR', f, (e as Error).message); }
  }
});
