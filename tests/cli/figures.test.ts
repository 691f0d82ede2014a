// The CLI's figures keep the key number of each caption (issue 13): a caption too long for its panel wraps at
// spaces instead of being cut ("pred: web site 53…").
import { describe, it, expect } from 'vitest';
import { fitText } from '../../src/image/canvas.js';
import { decodeImage } from '../../src/image/decode.js';
import { className } from '../../src/nn/classes.js';
import { saliencyFigure, wrapCaption } from '../../src/cli/figures.js';
import type { InputBatch } from '../../src/cli/inputs.js';

describe('figure captions', () => {
  it('wrap at spaces and keep the number whole, in every line that fits', () => {
    const caption = `pred: ${className(916)} 53.1%`; // "pred: web site 53.1%": 20 characters, a 224 px cell holds 18
    expect(fitText(caption, 224, 16)).toMatch(/\u2026$/); // cut without wrapping...
    const lines = wrapCaption(['00_958.png', caption], 224, 16);
    expect(lines).toEqual(['00_958.png', 'pred: web site', '53.1%']); // ...kept whole with it
    for (const l of lines) expect(fitText(l, 224, 16)).toBe(l);
    const long = wrapCaption([`${className(209)} 99.9%`, 'NOT fooled; target 12.3%'], 224, 16);
    expect(long.join(' ')).toBe(`${className(209)} 99.9% NOT fooled; target 12.3%`);
    for (const l of long) expect(fitText(l, 224, 16)).toBe(l);
    expect(wrapCaption(['short'], 224, 16)).toEqual(['short']);
  });

  it('a saliency figure for a long class name is taller by the wrapped lines, not cut', () => {
    const batch: InputBatch = { data: new Float32Array(3 * 16 * 16), shape: [1, 3, 16, 16], names: ['x.png'], labels: [null], sources: [] };
    const res = { method: 'vanilla' as const, maps: new Float32Array(16 * 16).map((_, i) => i), shape: [1, 16, 16] as [number, number, number], classes: [916] };
    const short = decodeImage(saliencyFigure(batch, res, [{ pred: 1, prob: 0.5 }]), 'short'); // "pred: goldfish 50.0%" wraps too
    const tiny = decodeImage(saliencyFigure(batch, { ...res, classes: [1] }, [{ pred: 0, prob: 0.5 }]), 'tiny'); // "pred: tench 50.0%" fits
    expect(short.height).toBeGreaterThan(tiny.height);
  });
});
