// @vitest-environment jsdom
import { cleanup, fireEvent, render } from '@testing-library/react';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { initialInput, paramFields } from '../../../lib/triggerForm';
import { ParamInput } from './ParamInput';

afterEach(cleanup);

const fields = paramFields({
  epochs: { value: 3, schema: { type: 'integer', minimum: 1, maximum: 100 } },
  dry: { value: true, schema: { type: 'boolean' } },
  env: { value: 'dev', schema: { enum: ['dev', 'prod'] } },
  tables: { value: ['a'], schema: { type: 'array' } },
});
const field = (name: string) => fields.find((item) => item.name === name)!;

describe('ParamInput', () => {
  test('an integer is a number input with its bounds and default', () => {
    const { getByTestId } = render(<ParamInput field={field('epochs')} value={initialInput(field('epochs'))} onChange={() => {}} />);
    const input = getByTestId('param-epochs') as HTMLInputElement;
    expect(input.type).toBe('number');
    expect(input.value).toBe('3');
    expect(input.min).toBe('1');
    expect(input.max).toBe('100');
    expect(input.step).toBe('1');
  });

  test('a boolean is a checkbox that reports its flag', () => {
    const onChange = vi.fn();
    const { getByTestId } = render(<ParamInput field={field('dry')} value={true} onChange={onChange} />);
    const input = getByTestId('param-dry') as HTMLInputElement;
    expect(input.type).toBe('checkbox');
    expect(input.checked).toBe(true);
    fireEvent.click(input);
    expect(onChange).toHaveBeenCalledWith(false);
  });

  test('an enum is a select of its options', () => {
    const onChange = vi.fn();
    const { getByTestId } = render(<ParamInput field={field('env')} value={initialInput(field('env'))} onChange={onChange} />);
    const select = getByTestId('param-env') as HTMLSelectElement;
    expect(select.tagName).toBe('SELECT');
    expect([...select.options].map((option) => option.textContent)).toEqual(['dev', 'prod']);
    fireEvent.change(select, { target: { value: '"prod"' } });
    expect(onChange).toHaveBeenCalledWith('"prod"');
  });

  test('arrays are edited as JSON, and errors are shown by the input', () => {
    const { getByTestId, getByText } = render(<ParamInput field={field('tables')} value={initialInput(field('tables'))} error="Must be a JSON array" onChange={() => {}} />);
    const input = getByTestId('param-tables') as HTMLTextAreaElement;
    expect(input.tagName).toBe('TEXTAREA');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(getByText('Must be a JSON array')).toBeTruthy();
  });
});
