// A create/edit dialog: the fields are the children; the server's error is
// shown inside, next to them.
import type { FormEvent, ReactNode } from 'react';
import { Dialog } from '../../components/Dialog';

interface FormDialogProps {
  title: string;
  testId: string;
  error: string;
  busy: boolean;
  submitLabel: string;
  onSubmit: () => void;
  onClose: () => void;
  children: ReactNode;
}

export function FormDialog({ title, testId, error, busy, submitLabel, onSubmit, onClose, children }: FormDialogProps) {
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <form className="form" data-testid={testId} onSubmit={submit}>
        {children}
        {error && (
          <div className="error-box" role="alert" data-testid={`${testId}-error`}>
            {error}
          </div>
        )}
        <div className="dialog-footer dialog-footer-inline">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" data-testid={`${testId}-submit`} disabled={busy}>
            {submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
