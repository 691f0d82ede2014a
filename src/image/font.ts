// The embedded bitmap font: 6×8 cells (5×7 glyphs, 1 column and 1 row of spacing, one row of descent), printable
// ASCII 32–126 plus '…' (U+2026) and '×' (U+00D7). Glyph bitmaps: the public-domain "atari-5x7" BDF font
// (FONTBOUNDINGBOX 6 8 0 -1, COPYRIGHT "Public domain font"), converted to one hex string below: per
// character 8 bytes (rows top to bottom), bit 5 = leftmost column. Row 6 is the baseline; row 7 holds
// descenders (g, j, p, q, y, Q).

export const FONT_WIDTH = 6;
export const FONT_HEIGHT = 8;

const ASCII_HEX =
  '00000000000000000808080808000800141400000000000014143e143e141400081e201c023c08002202040810202200' +
  '1c2220102a241a000808100000000000182020202020180030080808080830002a1c081c2a0000000008083e08080000' +
  '00000000080810000000003e00000000000000000008080002020408102020001c22262a32221c000818280808083e00' +
  '1c22020408103e001c22020c02221c000c14243e040404003e20203c02221c001c22203c22221c003e02020408080800' +
  '1c22221c22221c001c22221e02021c0000000800000800000000080008081000040810201008040000003e003e000000' +
  '20100804081020001c22020408000800001c262a26201e001c2222223e2222003c22223c22223c001c22202020221c00' +
  '3c22222222223c003e20203820203e003e202038202020001e20202622221e002222223e222222003e08080808083e00' +
  '3e02020202221c0022242830282422002020202020203e0022362a222222220022322a26222222001c22222222221c00' +
  '3c2222223c2020001c222222222a1c023c2222223c2222001c22201c02221c003e080808080808002222222222221c00' +
  '2222222222140800222222222a362200222214081422220022222214080808003e02040810203e003820202020203800' +
  '2020100804020200380808080808380008142200000000000000000000003e00101008000000000000001c021e221e00' +
  '20203c2222223c0000001c2220221c0002021e2222221e0000001c223e201c000e10103c1010100000001e22221e021c' +
  '20203c22222222000800180808083e0002000e020202221c20202428302824003808080808083e000000342a2a2a2a00' +
  '00003c222222220000001c2222221c0000003c2222223c2000001e2222221e0200003c222020200000001e201c023c00' +
  '10103c10101408000000222222221e00000022222214080000002222222a1400000022140814220000002222221e023c' +
  '00003e0408103e000c10102010100c00080808000808080030080804080830000019260000000000';

const EXTRA: Record<string, number[]> = {
  '\u2026': [0, 0, 0, 0, 0, 0, 0x2a, 0], // …
  '\u00d7': [0, 0, 0, 0x14, 0x08, 0x14, 0, 0], // ×
};

const glyphs = new Map<string, Uint8Array>();
for (let c = 32; c <= 126; c++) {
  const g = new Uint8Array(8);
  for (let r = 0; r < 8; r++) g[r] = parseInt(ASCII_HEX.slice((c - 32) * 16 + r * 2, (c - 32) * 16 + r * 2 + 2), 16);
  glyphs.set(String.fromCharCode(c), g);
}
for (const [ch, rows] of Object.entries(EXTRA)) glyphs.set(ch, Uint8Array.from(rows));

const REPLACE: Record<string, string> = {
  '\u2018': "'", '\u2019': "'", '\u201a': ',', '\u201c': '"', '\u201d': '"', '\u2013': '-', '\u2014': '-', '\u2212': '-',
  '\u00a0': ' ', '\u00b7': '.', '\u2022': '*', '\u00df': 'ss', '\u00e6': 'ae', '\u00c6': 'AE', '\u0153': 'oe', '\u0152': 'OE', '\u00f8': 'o', '\u00d8': 'O',
  '\u2192': '->', '\u2190': '<-', '\u2264': '<=', '\u2265': '>=', '\u221e': 'inf',
};

/**
 * Text as the font can draw it: accents stripped (é → e), typographic quotes and dashes made ASCII, tabs and
 * newlines turned into spaces, anything else unknown replaced by '?'.
 */
export function fontText(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFD')) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x300 && cp <= 0x36f) continue; // combining marks
    if (glyphs.has(ch)) out += ch;
    else if (REPLACE[ch] !== undefined) out += REPLACE[ch];
    else if (ch === '\t' || ch === '\n' || ch === '\r') out += ' ';
    else out += '?';
  }
  return out;
}

/** The 8 row bitmaps of a character of fontText() output (bit 5 = leftmost of 6 columns). */
export function glyph(ch: string): Uint8Array {
  return glyphs.get(ch) ?? glyphs.get('?')!;
}
