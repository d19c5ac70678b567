// One param of the trigger form, as the input its schema calls for.
import type { FieldInput, ParamField } from '../../../lib/triggerForm';

interface ParamInputProps {
  field: ParamField;
  value: FieldInput;
  error?: string;
  onChange: (value: FieldInput) => void;
}

export function ParamInput({ field, value, error, onChange }: ParamInputProps) {
  const id = `param-${field.name}`;
  const common = { id, 'data-testid': id, 'aria-invalid': Boolean(error), 'aria-describedby': error ? `${id}-error` : undefined };
  let input;
  switch (field.kind) {
    case 'boolean':
      input = <input type="checkbox" {...common} checked={value === true} onChange={(event) => onChange(event.target.checked)} />;
      break;
    case 'enum':
      input = (
        <select {...common} value={String(value)} onChange={(event) => onChange(event.target.value)}>
          {field.nullable && <option value="">—</option>}
          {field.options.map((option) => (
            <option key={JSON.stringify(option)} value={JSON.stringify(option)}>
              {typeof option === 'string' ? option : JSON.stringify(option)}
            </option>
          ))}
        </select>
      );
      break;
    case 'integer':
    case 'number':
      input = (
        <input
          type="number"
          {...common}
          step={field.kind === 'integer' ? 1 : 'any'}
          min={field.schema.minimum}
          max={field.schema.maximum}
          value={String(value)}
          onChange={(event) => onChange(event.target.value)}
        />
      );
      break;
    case 'json':
      input = <textarea {...common} className="mono" rows={4} spellCheck={false} value={String(value)} onChange={(event) => onChange(event.target.value)} />;
      break;
    default:
      input = <input type="text" {...common} value={String(value)} onChange={(event) => onChange(event.target.value)} />;
  }
  return (
    <div className={`field${field.kind === 'boolean' ? ' field-inline' : ''}`}>
      <label htmlFor={id}>
        <span className="mono">{field.schema.title ?? field.name}</span>
        <span className="field-type">{field.kind}</span>
      </label>
      {input}
      {field.description && <small className="field-help">{field.description}</small>}
      {error && (
        <small className="field-error" id={`${id}-error`}>
          {error}
        </small>
      )}
    </div>
  );
}
