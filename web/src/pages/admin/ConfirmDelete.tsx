import { useApiMutation } from '../../api/useApiMutation';
import { Dialog } from '../../components/Dialog';

/** Asks before deleting; the deletion itself is passed in. */
export function ConfirmDelete({ what, name, remove, onClose }: { what: string; name: string; remove: () => Promise<unknown>; onClose: () => void }) {
  const mutation = useApiMutation(remove, { successMessage: `Deleted ${what} ${name}`, onSuccess: onClose });
  return (
    <Dialog
      title={`Delete ${what}`}
      onClose={onClose}
      testId="delete-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="button button-danger" data-testid="delete-confirm" disabled={mutation.isPending} onClick={() => mutation.mutate(undefined)}>
            Delete
          </button>
        </>
      }
    >
      <p>
        Delete {what} <strong className="mono">{name}</strong>? This cannot be undone.
      </p>
    </Dialog>
  );
}
