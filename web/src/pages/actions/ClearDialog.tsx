// Clearing task instances so they run again: the options, a dry-run list of
// what would be cleared, then the real thing.
import { useState } from 'react';
import type { TaskInstance } from '../../api/types';
import { useApiMutation } from '../../api/useApiMutation';
import { Dialog } from '../../components/Dialog';
import { PreviewList } from './PreviewList';
import { usePreview } from './usePreview';

export interface ClearOptions {
  downstream: boolean;
  upstream: boolean;
  onlyFailed: boolean;
}

interface ClearDialogProps {
  title: string;
  previewKey: unknown[];
  /** Which of the options this clear offers. */
  offers: { downstream?: boolean; upstream?: boolean };
  initial?: Partial<ClearOptions>;
  preview: (options: ClearOptions) => Promise<TaskInstance[]>;
  confirm: (options: ClearOptions) => Promise<unknown>;
  onClose: () => void;
}

export function ClearDialog({ title, previewKey, offers, initial, preview, confirm, onClose }: ClearDialogProps) {
  const [options, setOptions] = useState<ClearOptions>({ downstream: false, upstream: false, onlyFailed: false, ...initial });
  const dryRun = usePreview(['clear', ...previewKey], options, preview);
  const mutation = useApiMutation(() => confirm(options), {
    successMessage: `Cleared ${dryRun.data?.length ?? 0} task instance${dryRun.data?.length === 1 ? '' : 's'}`,
    onSuccess: onClose,
  });
  const toggle = (key: keyof ClearOptions) => setOptions((current) => ({ ...current, [key]: !current[key] }));

  return (
    <Dialog
      title={title}
      onClose={onClose}
      testId="clear-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="button button-primary" data-testid="clear-confirm" disabled={!dryRun.data || dryRun.data.length === 0 || mutation.isPending} onClick={() => mutation.mutate(undefined)}>
            {mutation.isPending ? 'Clearing…' : `Clear ${dryRun.data ? dryRun.data.length : ''}`.trim()}
          </button>
        </>
      }
    >
      <div className="option-row">
        {offers.downstream && (
          <label className="checkbox">
            <input type="checkbox" data-testid="clear-downstream" checked={options.downstream} onChange={() => toggle('downstream')} /> Downstream
          </label>
        )}
        {offers.upstream && (
          <label className="checkbox">
            <input type="checkbox" data-testid="clear-upstream" checked={options.upstream} onChange={() => toggle('upstream')} /> Upstream
          </label>
        )}
        <label className="checkbox">
          <input type="checkbox" data-testid="clear-only-failed" checked={options.onlyFailed} onChange={() => toggle('onlyFailed')} /> Only failed
        </label>
      </div>
      <h3 className="section-title">Task instances that will be cleared</h3>
      <PreviewList preview={dryRun} testId="clear-preview" />
    </Dialog>
  );
}
