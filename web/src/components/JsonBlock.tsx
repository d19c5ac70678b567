import { formatJson } from '../lib/format';

export function JsonBlock({ value, testId }: { value: unknown; testId?: string }) {
  return (
    <pre className="json-block" data-testid={testId}>
      {formatJson(value)}
    </pre>
  );
}
