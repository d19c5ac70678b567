import type { ReactNode } from 'react';

/** Label/value pairs, the details tables of runs, tasks and DAGs. */
export function KeyValueTable({ rows, testId }: { rows: [string, ReactNode][]; testId?: string }) {
  return (
    <table className="kv-table" data-testid={testId}>
      <tbody>
        {rows.map(([label, value]) => (
          <tr key={label}>
            <th scope="row">{label}</th>
            <td>{value ?? <span className="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
