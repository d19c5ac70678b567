// Marking a task instance or a run success or failed, after showing what
// the change would touch.
import { useState } from 'react';
import type { TaskInstance } from '../../api/types';
import { useApiMutation } from '../../api/useApiMutation';
import { Dialog } from '../../components/Dialog';
import { StateBadge } from '../../components/StateBadge';
import { PreviewList } from './PreviewList';
import { usePreview } from './usePreview';

export interface MarkOptions {
  upstream: boolean;
  downstream: boolean;
}

interface MarkDialogProps {
  title: string;
  newState: 'success' | 'failed';
  previewKey: unknown[];
  offersRelatives: boolean;
  preview: (options: MarkOptions) => Promise<TaskInstance[]>;
  confirm: (options: MarkOptions) => Promise<unknown>;
  onClose: () => void;
}

export function MarkDialog({ title, newState, previewKey, offersRelatives, preview, confirm, onClose }: MarkDialogProps) {
  const [options, setOptions] = useState<MarkOptions>({ upstream: false, downstream: false });
  const dryRun = usePreview(['mark', newState, ...previewKey], options, preview);
  const mutation = useApiMutation(() => confirm(options), { successMessage: `Marked ${newState}`, onSuccess: onClose });
  const toggle = (key: keyof MarkOptions) => setOptions((current) => ({ ...current, [key]: !current[key] }));

  return (
    <Dialog
      title={title}
      onClose={onClose}
      testId="mark-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className={`button ${newState === 'failed' ? 'button-danger' : 'button-primary'}`} data-testid="mark-confirm" disabled={!dryRun.data || mutation.isPending} onClick={() => mutation.mutate(undefined)}>
            {mutation.isPending ? 'Marking…' : `Mark ${newState}`}
          </button>
        </>
      }
    >
      <p>
        New state: <StateBadge state={newState} />
      </p>
      {offersRelatives && (
        <div className="option-row">
          <label className="checkbox">
            <input type="checkbox" data-testid="mark-upstream" checked={options.upstream} onChange={() => toggle('upstream')} /> Upstream
          </label>
          <label className="checkbox">
            <input type="checkbox" data-testid="mark-downstream" checked={options.downstream} onChange={() => toggle('downstream')} /> Downstream
          </label>
        </div>
      )}
      <h3 className="section-title">Task instances that will change</h3>
      <PreviewList preview={dryRun} testId="mark-preview" />
    </Dialog>
  );
}
