// The unpickler on pickles made by CPython's pickle (hex below, from /usr/bin/python3): protocols 0, 2, 4, 5.
import { describe, it, expect } from 'vitest';
import { unpickle, PickleObject, PickleGlobal } from '../../src/weights/pickle.js';

const hex = (s: string) => new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));

// {'a': (1, -2, 2**70, -1.5, None, True, b'xy', {3}, [4, 5], (6, 7, 8), (9,), ()), 'b': 'é', 'f': frozenset([1])}
const P4 = '8004955b000000000000007d94288c016194284b014afeffffff8a0900000000000000004047bff80000000000004e8843027879948f94284b03905d94284b044b05654b064b074b0887944b0985942974948c0162948c02c3a9948c016694284b019194752e';
// [1, 'ab', (2, 3), {'k': 1}, 2**70, 1.25, None, True, False, -7]
const P0 = '286c70300a49310a615661620a70310a612849320a49330a7470320a61286470330a566b0a70340a49310a73614c313138303539313632303731373431313330333432344c0a6146312e32350a614e614930310a614930300a61492d370a612e';
// [mymod.Foo(), mymod.Foo()] with instance state {'x': 1}
const P2OBJ = '80025d710028636d796d6f640a466f6f0a7101298171027d710358010000007871044b0173626801298171057d710668044b017362652e';
// OrderedDict([('z', 1), ('a', 2)])
const P2OD = '800263636f6c6c656374696f6e730a4f726465726564446963740a7100295271012858010000007a71024b0158010000006171034b02752e';

describe('unpickle', () => {
  const expected4 = new Map<string, unknown>([
    ['a', [1, -2, 2n ** 70n, -1.5, null, true, new Uint8Array([0x78, 0x79]), new Set([3]), [4, 5], [6, 7, 8], [9], []]],
    ['b', 'é'],
    ['f', new Set([1])],
  ]);

  it('reads protocol 4 (FRAME, SHORT_BINUNICODE, MEMOIZE, LONG1, BINFLOAT, sets)', () => {
    const r = unpickle(hex(P4));
    expect(r.value).toEqual(expected4);
    expect(r.end).toBe(P4.length / 2);
  });

  it('reads protocol 5', () => {
    expect(unpickle(hex(P4.replace(/^8004/, '8005'))).value).toEqual(expected4);
  });

  it('reads protocol 0 (text opcodes, PUT/GET memo)', () => {
    expect(unpickle(hex(P0)).value).toEqual([1, 'ab', [2, 3], new Map([['k', 1]]), 2n ** 70n, 1.25, null, true, false, -7]);
  });

  it('keeps unknown classes as inert objects, with their BUILD state and memo sharing', () => {
    const v = unpickle(hex(P2OBJ)).value as PickleObject[];
    expect(v.length).toBe(2);
    expect(v[0]).toBeInstanceOf(PickleObject);
    expect(v[0].cls).toEqual(new PickleGlobal('mymod', 'Foo'));
    expect(v[1].cls).toBe(v[0].cls); // BINGET of the memoized class
    expect(v[0].state).toEqual(new Map([['x', 1]]));
  });

  it('turns collections.OrderedDict into an ordered Map', () => {
    const m = unpickle(hex(P2OD)).value as Map<string, number>;
    expect([...m]).toEqual([['z', 1], ['a', 2]]);
  });

  it('reads back-to-back pickles from an offset', () => {
    const two = new Uint8Array([...hex(P2OD), ...hex(P0)]);
    const first = unpickle(two);
    expect(unpickle(two, first.end).value).toEqual(unpickle(hex(P0)).value);
  });

  it('fails with the part, the opcode and the byte when cut off or corrupt', () => {
    const b = hex(P4);
    expect(() => unpickle(b.subarray(0, 30), 0, { what: 'x.pkl' })).toThrow('x.pkl: truncated: the pickle ends inside LONG1 at byte 26 (30 bytes in all) before its STOP');
    expect(() => unpickle(b.subarray(0, b.length - 1), 0, { what: 'x.pkl' })).toThrow(`x.pkl: truncated: the pickle ends at byte ${b.length - 1} without its STOP opcode`);
    const bad = b.slice();
    bad[11] = 0xfe;
    expect(() => unpickle(bad, 0, { what: 'x.pkl' })).toThrow('x.pkl: corrupt pickle at byte 11 (0xfe): unknown opcode 0xfe');
    expect(() => unpickle(hex('80026804'), 0, { what: 'x.pkl' })).toThrow('x.pkl: corrupt pickle at byte 2 (BINGET): memo key 4 was never stored');
  });
});
