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

// [R()] where R.__reduce__ returns (os.system, ('echo hi',)): protocols 2 (GLOBAL), 4 (STACK_GLOBAL), 0 (text GLOBAL)
const SYSTEM = [
  '80025d710063706f7369780a73797374656d0a710158070000006563686f2068697102857103527104612e',
  '80049525000000000000005d948c05706f736978948c0673797374656d9493948c076563686f2068699485945294612e',
  '286c70300a63706f7369780a73797374656d0a70310a28566563686f2068690a70320a7470330a5270340a612e',
];

describe('unpickle', () => {
  it('refuses os.system in every protocol, naming the global, its byte and the opcode', () => {
    expect(() => unpickle(hex(SYSTEM[0]), 0, { what: 'e.pkl' })).toThrow(/^e\.pkl: refused: the pickle at byte 5 \(GLOBAL\) names the global "posix\.system", which a state dict never needs/);
    expect(() => unpickle(hex(SYSTEM[1]), 0, { what: 'e.pkl' })).toThrow(/^e\.pkl: refused: the pickle at byte 30 \(STACK_GLOBAL\) names the global "posix\.system"/);
    expect(() => unpickle(hex(SYSTEM[2]), 0, { what: 'e.pkl' })).toThrow(/^e\.pkl: refused: the pickle at byte 5 \(GLOBAL\) names the global "posix\.system"/);
    // Even where inert objects are allowed, nothing is called.
    expect(unpickle(hex(SYSTEM[0]), 0, { allowAnyGlobal: true }).value).toEqual([new PickleObject(new PickleGlobal('posix', 'system'), ['echo hi'])]);
  });

  it('refuses huge integers instead of spending quadratic time on them', () => {
    const long4 = new Uint8Array([0x80, 0x02, 0x8b, 0x00, 0x00, 0x10, 0x00, ...new Uint8Array(0x100000), 0x2e]);
    expect(() => unpickle(long4, 0, { what: 'l.pkl' })).toThrow('l.pkl: corrupt pickle at byte 2 (LONG4): a 1048576-byte integer (at most 256 are accepted)');
    const text = new TextEncoder().encode(`L${'9'.repeat(100000)}L\n.`);
    expect(() => unpickle(text, 0, { what: 'l.pkl' })).toThrow(/^l\.pkl: corrupt pickle at byte 0 \(LONG\): "9{40}" is not an integer of at most 768 digits$/);
  });

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

  it('refuses globals a state dict does not need, naming them; with allowAnyGlobal keeps them inert', () => {
    expect(() => unpickle(hex(P2OBJ), 0, { what: 'x.pkl' })).toThrow(
      'x.pkl: refused: the pickle at byte 6 (GLOBAL) names the global "mymod.Foo", which a state dict never needs (torch.load(weights_only=True) refuses it too) (a pickled model or other object? save model.state_dict() instead)',
    );
    const v = unpickle(hex(P2OBJ), 0, { allowAnyGlobal: true }).value as PickleObject[];
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
