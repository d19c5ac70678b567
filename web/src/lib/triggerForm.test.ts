import { describe, expect, test } from 'vitest';
import { buildConf, fieldKind, initialInput, logicalDateToIso, paramFields, parseConfText, parseInput } from './triggerForm';

// As get_dag_details gives params: Airflow's serialized Param objects.
const params = {
  epochs: { __class: 'airflow.sdk.definitions.param.Param', value: 3, description: 'Training epochs', schema: { type: 'integer', minimum: 1, maximum: 100 } },
  learning_rate: { __class: 'airflow.sdk.definitions.param.Param', value: 0.1, description: null, schema: { type: 'number' } },
  dry: { value: false, schema: { type: 'boolean' } },
  env: { value: 'dev', schema: { type: 'string', enum: ['dev', 'prod'] } },
  tables: { value: ['a'], schema: { type: 'array' } },
  options: { value: { x: 1 }, schema: { type: ['object', 'null'] } },
  name: { value: 'n', schema: { type: 'string', minLength: 1, pattern: '^[a-z]+$' } },
  raw: 7,
};

describe('params to fields', () => {
  const fields = paramFields(params);
  const byName = Object.fromEntries(fields.map((field) => [field.name, field]));

  test('each schema gets the input it calls for', () => {
    expect(byName.epochs.kind).toBe('integer');
    expect(byName.learning_rate.kind).toBe('number');
    expect(byName.dry.kind).toBe('boolean');
    expect(byName.env.kind).toBe('enum');
    expect(byName.env.options).toEqual(['dev', 'prod']);
    expect(byName.tables.kind).toBe('json');
    expect(byName.options.kind).toBe('json');
    expect(byName.options.nullable).toBe(true);
    expect(byName.name.kind).toBe('string');
    // A bare value (no Param) is typed by the value itself.
    expect(byName.raw.kind).toBe('integer');
    expect(byName.epochs.description).toBe('Training epochs');
  });

  test('kinds without a schema type follow the default', () => {
    expect(fieldKind({}, true)).toBe('boolean');
    expect(fieldKind({}, 1.5)).toBe('number');
    expect(fieldKind({}, { a: 1 })).toBe('json');
    expect(fieldKind({}, null)).toBe('string');
  });

  test('inputs start at the defaults', () => {
    expect(initialInput(byName.epochs)).toBe('3');
    expect(initialInput(byName.dry)).toBe(false);
    expect(initialInput(byName.env)).toBe('"dev"');
    expect(initialInput(byName.tables)).toBe('[\n  "a"\n]');
  });

  test('the untouched form gives back the defaults as conf', () => {
    const inputs = Object.fromEntries(fields.map((field) => [field.name, initialInput(field)]));
    const { conf, errors } = buildConf(fields, inputs);
    expect(errors).toEqual({});
    expect(conf).toEqual({ epochs: 3, learning_rate: 0.1, dry: false, env: 'dev', tables: ['a'], options: { x: 1 }, name: 'n', raw: 7 });
  });

  test('bounds, whole numbers, enums, JSON and patterns are checked', () => {
    expect(parseInput(byName.epochs, '1000')).toEqual({ ok: false, error: 'Must be at most 100' });
    expect(parseInput(byName.epochs, '0')).toEqual({ ok: false, error: 'Must be at least 1' });
    expect(parseInput(byName.epochs, '2.5')).toEqual({ ok: false, error: 'Must be a whole number' });
    expect(parseInput(byName.epochs, '')).toEqual({ ok: false, error: 'A value is required' });
    expect(parseInput(byName.learning_rate, 'abc')).toEqual({ ok: false, error: 'Must be a number' });
    expect(parseInput(byName.learning_rate, '1e-3')).toEqual({ ok: true, value: 0.001 });
    expect(parseInput(byName.env, '"staging"').ok).toBe(false);
    expect(parseInput(byName.env, '"prod"')).toEqual({ ok: true, value: 'prod' });
    expect(parseInput(byName.tables, '{"a": 1}')).toEqual({ ok: false, error: 'Must be a JSON array' });
    expect(parseInput(byName.tables, '[1,').ok).toBe(false);
    expect(parseInput(byName.options, '')).toEqual({ ok: true, value: null });
    expect(parseInput(byName.name, 'ABC')).toEqual({ ok: false, error: 'Must match ^[a-z]+$' });
    expect(parseInput(byName.dry, true)).toEqual({ ok: true, value: true });
  });

  test('buildConf reports each bad field and leaves it out', () => {
    const inputs = Object.fromEntries(fields.map((field) => [field.name, initialInput(field)]));
    const { conf, errors } = buildConf(fields, { ...inputs, epochs: '1000', tables: 'nope' });
    expect(Object.keys(errors).sort()).toEqual(['epochs', 'tables']);
    expect(conf).not.toHaveProperty('epochs');
    expect(conf.learning_rate).toBe(0.1);
  });
});

describe('conf editor and logical date', () => {
  test('conf must be a JSON object', () => {
    expect(parseConfText('')).toEqual({ ok: true, value: {} });
    expect(parseConfText('{"a": [1]}')).toEqual({ ok: true, value: { a: [1] } });
    expect(parseConfText('[1]').ok).toBe(false);
    expect(parseConfText('{').ok).toBe(false);
  });

  test('datetime-local values are taken as UTC', () => {
    expect(logicalDateToIso('2026-03-04T05:06')).toBe('2026-03-04T05:06:00.000Z');
    expect(logicalDateToIso('2026-03-04T05:06:07')).toBe('2026-03-04T05:06:07.000Z');
    expect(logicalDateToIso('')).toBeNull();
  });
});
