// A trigger button for places that do not have the DAG's details at hand
// (the DAG list): they are fetched when the button is pressed.
import { useState } from 'react';
import { useDagDetails } from '../../../api/hooks/dags';
import { PlayIcon } from '../../../components/Icons';
import { TriggerDialog } from './TriggerDialog';

function LoadedTrigger({ dagId, onClose }: { dagId: string; onClose: () => void }) {
  const details = useDagDetails(dagId);
  return details.data ? <TriggerDialog dag={details.data} onClose={onClose} /> : null;
}

export function TriggerLauncher({ dagId }: { dagId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="icon-button" data-testid={`dag-trigger-${dagId}`} title={`Trigger ${dagId}`} aria-label={`Trigger ${dagId}`} onClick={() => setOpen(true)}>
        <PlayIcon size={15} />
      </button>
      {open && <LoadedTrigger dagId={dagId} onClose={() => setOpen(false)} />}
    </>
  );
}
