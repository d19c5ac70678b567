import type { DagDetails } from '../../api/types';
import { paramFields } from '../../lib/triggerForm';

/** The DAG's params: name, kind, default and description. */
export function ParamsTable({ params }: { params: DagDetails['params'] }) {
  const fields = paramFields(params as Record<string, unknown> | null);
  if (fields.length === 0) return <div className="muted">This DAG has no params.</div>;
  return (
    <table className="table table-compact params-table" data-testid="dag-params">
      <thead>
        <tr>
          <th>Param</th>
          <th>Type</th>
          <th>Default</th>
          <th>Description</th>
        </tr>
      </thead>
      <tbody>
        {fields.map((field) => (
          <tr key={field.name}>
            <td className="mono">{field.name}</td>
            <td className="muted">
              {field.kind}
              {field.schema.minimum !== undefined || field.schema.maximum !== undefined ? ` (${field.schema.minimum ?? '−∞'}…${field.schema.maximum ?? '∞'})` : ''}
            </td>
            <td className="mono">{JSON.stringify(field.defaultValue ?? null)}</td>
            <td className="muted">{field.description}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
