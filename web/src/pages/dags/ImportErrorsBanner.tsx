// DAG files that failed to load: a banner with their count, opening the
// errors themselves.
import { useState } from 'react';
import { useImportErrors } from '../../api/hooks/dags';
import { useSession } from '../../auth/SessionContext';
import { Dialog } from '../../components/Dialog';
import { WarningIcon } from '../../components/Icons';
import { Time } from '../../components/Time';
import { hasPermission } from '../../lib/permissions';

export function ImportErrorsBanner() {
  const { session } = useSession();
  const { data } = useImportErrors(hasPermission(session, 'IMPORT_ERROR:read'));
  const [open, setOpen] = useState(false);
  const count = data?.total_entries ?? 0;
  if (count === 0) return null;
  return (
    <>
      <button type="button" className="banner banner-error" data-testid="import-errors-banner" onClick={() => setOpen(true)}>
        <WarningIcon size={16} />
        <span>
          {count} DAG import error{count === 1 ? '' : 's'}
        </span>
        <span className="banner-action">Show</span>
      </button>
      {open && (
        <Dialog title={`${count} DAG import error${count === 1 ? '' : 's'}`} onClose={() => setOpen(false)} testId="import-errors-dialog" wide>
          {data!.import_errors.map((error) => (
            <section key={error.import_error_id} className="import-error">
              <header>
                <strong className="mono">{error.filename}</strong>
                <span className="muted">
                  <Time value={error.timestamp} />
                </span>
              </header>
              <pre className="stack-trace">{error.stack_trace}</pre>
            </section>
          ))}
        </Dialog>
      )}
    </>
  );
}
