import { describe, expect, test } from 'vitest';
import { runParams } from './runParams';

describe('run params', () => {
  const params = { epochs: { value: 3, schema: { type: 'integer' } }, rate: { value: 0.1, schema: { type: 'number' } } };

  test('conf overrides defaults, the rest keep theirs', () => {
    expect(runParams(params, { epochs: 2, other: true })).toEqual([
      { name: 'epochs', value: 2, fromConf: true },
      { name: 'rate', value: 0.1, fromConf: false },
    ]);
  });

  test('no conf or no params', () => {
    expect(runParams(params, null)).toEqual([
      { name: 'epochs', value: 3, fromConf: false },
      { name: 'rate', value: 0.1, fromConf: false },
    ]);
    expect(runParams(null, { a: 1 })).toEqual([]);
  });
});
