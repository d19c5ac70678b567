// Turns a DAG's params (Airflow Params: a default value, a description and a
// JSON Schema) into form fields, checks what the user typed as the server
// would, and builds the run's conf from it.
import type { DagParam, JsonSchema } from '../api/types';

export type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'enum' | 'json';

export interface ParamField {
  name: string;
  kind: FieldKind;
  description: string | null;
  schema: JsonSchema;
  /** May be left empty (schema type allows null, or no default to keep). */
  nullable: boolean;
  defaultValue: unknown;
  options: unknown[];
}

/** What an input holds: text for most, a flag for booleans. */
export type FieldInput = string | boolean;

function isParamObject(raw: unknown): raw is DagParam {
  return Boolean(raw) && typeof raw === 'object' && !Array.isArray(raw) && ('schema' in (raw as object) || 'value' in (raw as object) || '__class' in (raw as object));
}

function schemaTypes(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  return schema.type ? [schema.type] : [];
}

function kindOfValue(value: unknown): FieldKind {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (value !== null && typeof value === 'object') return 'json';
  return 'string';
}

export function fieldKind(schema: JsonSchema, value: unknown): FieldKind {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return 'enum';
  const types = schemaTypes(schema).filter((type) => type !== 'null');
  const type = types[0];
  switch (type) {
    case 'boolean':
      return 'boolean';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'object':
    case 'array':
      return 'json';
    default:
      return value === undefined || value === null ? 'string' : kindOfValue(value);
  }
}

export function paramFields(params: Record<string, unknown> | null | undefined): ParamField[] {
  if (!params) return [];
  return Object.entries(params).map(([name, raw]) => {
    const param: DagParam = isParamObject(raw) ? raw : { value: raw, schema: {} };
    const schema = param.schema ?? {};
    const kind = fieldKind(schema, param.value);
    return {
      name,
      kind,
      description: param.description ?? schema.description ?? null,
      schema,
      nullable: schemaTypes(schema).includes('null'),
      defaultValue: param.value,
      options: kind === 'enum' ? (schema.enum ?? []) : [],
    };
  });
}

/** The input's starting content for a field's default value. */
export function initialInput(field: ParamField): FieldInput {
  const value = field.defaultValue;
  if (field.kind === 'boolean') return value === true;
  if (value === undefined || value === null) return '';
  if (field.kind === 'json') return JSON.stringify(value, null, 2);
  if (field.kind === 'enum') return JSON.stringify(value);
  return String(value);
}

export type ParseResult = { ok: true; value: unknown } | { ok: false; error: string };

function checkNumberBounds(value: number, schema: JsonSchema): string | null {
  if (schema.minimum !== undefined && value < schema.minimum) return `Must be at least ${schema.minimum}`;
  if (schema.maximum !== undefined && value > schema.maximum) return `Must be at most ${schema.maximum}`;
  if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) return `Must be more than ${schema.exclusiveMinimum}`;
  if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) return `Must be less than ${schema.exclusiveMaximum}`;
  return null;
}

/** Checks one input against its field's schema and returns the conf value. */
export function parseInput(field: ParamField, input: FieldInput): ParseResult {
  if (field.kind === 'boolean') return { ok: true, value: input === true };
  const text = typeof input === 'string' ? input : String(input);
  if (text.trim() === '') {
    if (field.nullable) return { ok: true, value: null };
    if (field.kind === 'string' && schemaTypes(field.schema).length > 0 && field.schema.minLength === undefined) return { ok: true, value: '' };
    if (field.kind === 'string' && schemaTypes(field.schema).length === 0) return { ok: true, value: '' };
    return { ok: false, error: 'A value is required' };
  }
  switch (field.kind) {
    case 'integer': {
      if (!/^[-+]?\d+$/.test(text.trim())) return { ok: false, error: 'Must be a whole number' };
      const value = Number(text);
      const bound = checkNumberBounds(value, field.schema);
      return bound ? { ok: false, error: bound } : { ok: true, value };
    }
    case 'number': {
      const value = Number(text);
      if (!Number.isFinite(value)) return { ok: false, error: 'Must be a number' };
      const bound = checkNumberBounds(value, field.schema);
      return bound ? { ok: false, error: bound } : { ok: true, value };
    }
    case 'enum': {
      // Enum options are kept as JSON text so 1 and "1" stay distinct.
      try {
        const value = JSON.parse(text);
        if (!field.options.some((option) => JSON.stringify(option) === JSON.stringify(value))) return { ok: false, error: 'Pick one of the options' };
        return { ok: true, value };
      } catch {
        return { ok: false, error: 'Pick one of the options' };
      }
    }
    case 'json': {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        return { ok: false, error: `Not valid JSON: ${(error as Error).message}` };
      }
      const types = schemaTypes(field.schema);
      if (types.includes('array') && !types.includes('object') && !Array.isArray(value)) return { ok: false, error: 'Must be a JSON array' };
      if (types.includes('object') && !types.includes('array') && (value === null || typeof value !== 'object' || Array.isArray(value))) {
        return { ok: false, error: 'Must be a JSON object' };
      }
      return { ok: true, value };
    }
    default: {
      const { minLength, maxLength, pattern } = field.schema;
      if (minLength !== undefined && text.length < minLength) return { ok: false, error: `Must be at least ${minLength} characters` };
      if (maxLength !== undefined && text.length > maxLength) return { ok: false, error: `Must be at most ${maxLength} characters` };
      if (pattern) {
        try {
          if (!new RegExp(pattern, 'u').test(text)) return { ok: false, error: `Must match ${pattern}` };
        } catch {
          // A pattern JavaScript cannot compile is left to the server.
        }
      }
      return { ok: true, value: text };
    }
  }
}

export interface ConfResult {
  conf: Record<string, unknown>;
  errors: Record<string, string>;
}

/** The conf of a run from the form's inputs, with an error per bad field. */
export function buildConf(fields: ParamField[], inputs: Record<string, FieldInput>): ConfResult {
  const conf: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const result = parseInput(field, inputs[field.name] ?? initialInput(field));
    if (result.ok) conf[field.name] = result.value;
    else errors[field.name] = result.error;
  }
  return { conf, errors };
}

/** Parses the free JSON conf editor: it must hold an object. */
export function parseConfText(text: string): ParseResult {
  if (!text.trim()) return { ok: true, value: {} };
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'conf must be a JSON object' };
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: `Not valid JSON: ${(error as Error).message}` };
  }
}

/** A datetime-local input's value (taken as UTC) as the API's ISO 8601. */
export function logicalDateToIso(local: string): string | null {
  if (!local) return null;
  const withSeconds = local.length === 16 ? `${local}:00` : local;
  const date = new Date(`${withSeconds}Z`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
