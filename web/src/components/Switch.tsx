// An on/off switch: a real checkbox underneath, so it is keyboard and
// screen-reader friendly and tests can read `checked`.
interface SwitchProps {
  checked: boolean;
  onChange: (checked: boolean) => void;
  disabled?: boolean;
  title?: string;
  label: string;
  testId?: string;
}

export function Switch({ checked, onChange, disabled, title, label, testId }: SwitchProps) {
  return (
    <label className={`switch${disabled ? ' switch-disabled' : ''}`} title={title}>
      <input
        type="checkbox"
        role="switch"
        checked={checked}
        aria-checked={checked}
        aria-label={label}
        disabled={disabled}
        data-testid={testId}
        onChange={(event) => onChange(event.target.checked)}
      />
      <span className="switch-track" aria-hidden="true">
        <span className="switch-thumb" />
      </span>
    </label>
  );
}
