import { JsonBlock } from '../../components/JsonBlock';

/** The templated fields as the try saw them, after rendering. */
export function RenderedTab({ fields }: { fields: Record<string, unknown> | undefined }) {
  const entries = Object.entries(fields ?? {});
  return (
    <div data-testid="rendered-fields">
      {entries.length === 0 ? (
        <div className="muted">Nothing rendered yet: templates are rendered when the task runs.</div>
      ) : (
        entries.map(([name, value]) => (
          <section key={name} className="rendered-field">
            <h4 className="mono">{name}</h4>
            {Array.isArray(value) && value.every((item) => typeof item === 'string') ? (
              <pre className="json-block">{(value as string[]).join('\n')}</pre>
            ) : typeof value === 'string' ? (
              <pre className="json-block">{value}</pre>
            ) : (
              <JsonBlock value={value} />
            )}
          </section>
        ))
      )}
    </div>
  );
}
