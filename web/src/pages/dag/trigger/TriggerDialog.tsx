// Triggering a run: a form built from the DAG's params, checked before it
// is sent; the server's own complaints (422) are shown beside it.
import { useMemo, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { ApiError, api } from '../../../api/client';
import { paths } from '../../../api/paths';
import type { DagDetails, DagRun } from '../../../api/types';
import { useApiMutation } from '../../../api/useApiMutation';
import { Dialog } from '../../../components/Dialog';
import { buildConf, initialInput, logicalDateToIso, paramFields, parseConfText, type FieldInput } from '../../../lib/triggerForm';
import { runPath } from '../dagLinks';
import { ParamInput } from './ParamInput';

interface TriggerBody {
  conf: Record<string, unknown>;
  logical_date: string | null;
  dag_run_id?: string;
}

export function TriggerDialog({ dag, onClose }: { dag: DagDetails; onClose: () => void }) {
  const navigate = useNavigate();
  const fields = useMemo(() => paramFields(dag.params as Record<string, unknown> | null), [dag.params]);
  const [inputs, setInputs] = useState<Record<string, FieldInput>>(() => Object.fromEntries(fields.map((field) => [field.name, initialInput(field)])));
  const [showAdvanced, setShowAdvanced] = useState(fields.length === 0);
  const [confText, setConfText] = useState('{}');
  const [logicalDate, setLogicalDate] = useState('');
  const [runId, setRunId] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState('');

  const mutation = useApiMutation((body: TriggerBody) => api.post<DagRun>(paths.dagRuns(dag.dag_id), body), {
    quietErrors: true,
    successMessage: (run) => `Triggered ${run.dag_run_id}`,
    onSuccess: (run) => {
      onClose();
      navigate(runPath(dag.dag_id, run.dag_run_id));
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFormError('');
    const { conf, errors: fieldErrors } = buildConf(fields, inputs);
    const extra = parseConfText(confText);
    if (!extra.ok) fieldErrors.__conf = extra.error;
    setErrors(fieldErrors);
    if (Object.keys(fieldErrors).length > 0) {
      setFormError('Fix the highlighted fields.');
      return;
    }
    const body: TriggerBody = { conf: { ...(extra.ok ? (extra.value as object) : {}), ...conf }, logical_date: logicalDateToIso(logicalDate) };
    if (runId.trim()) body.dag_run_id = runId.trim();
    mutation.mutate(body, {
      onError: (failure) => {
        if (failure instanceof ApiError) {
          // 422 entries point at conf.<param>: show each beside its input.
          const byField: Record<string, string> = {};
          for (const { field, message } of failure.fieldErrors()) {
            const param = field.startsWith('conf.') ? field.slice(5).split('.')[0] : field === 'conf' ? '__conf' : '';
            if (param) byField[param] = message;
          }
          setErrors(byField);
        }
        setFormError(failure instanceof Error ? failure.message : String(failure));
      },
    });
  };

  return (
    <Dialog title={`Trigger ${dag.dag_display_name || dag.dag_id}`} onClose={onClose} wide>
      <form className="trigger-form" data-testid="trigger-form" onSubmit={submit} noValidate>
        {fields.length > 0 && (
          <fieldset>
            <legend>Params</legend>
            {fields.map((field) => (
              <ParamInput key={field.name} field={field} value={inputs[field.name]} error={errors[field.name]} onChange={(value) => setInputs((current) => ({ ...current, [field.name]: value }))} />
            ))}
          </fieldset>
        )}
        <div className="field">
          <label htmlFor="trigger-logical-date">Logical date (UTC)</label>
          <input id="trigger-logical-date" type="datetime-local" step={1} data-testid="trigger-logical-date" value={logicalDate} onChange={(event) => setLogicalDate(event.target.value)} />
          <small className="field-help">Leave empty for now.</small>
        </div>
        {fields.length > 0 && (
          <button type="button" className="link-button" onClick={() => setShowAdvanced((value) => !value)} aria-expanded={showAdvanced}>
            {showAdvanced ? 'Hide advanced options' : 'Advanced options'}
          </button>
        )}
        {showAdvanced && (
          <>
            <div className="field">
              <label htmlFor="trigger-run-id">Run id</label>
              <input id="trigger-run-id" data-testid="trigger-run-id" placeholder="manual__<logical date>" value={runId} onChange={(event) => setRunId(event.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="trigger-conf">Configuration JSON{fields.length > 0 ? ' (merged under the params)' : ''}</label>
              <textarea id="trigger-conf" data-testid="trigger-conf" className="mono" rows={6} spellCheck={false} value={confText} onChange={(event) => setConfText(event.target.value)} aria-invalid={Boolean(errors.__conf)} />
              {errors.__conf && <small className="field-error">{errors.__conf}</small>}
            </div>
          </>
        )}
        {formError && (
          <div className="error-box" role="alert" data-testid="trigger-error">
            {formError}
          </div>
        )}
        <div className="dialog-footer dialog-footer-inline">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" data-testid="trigger-submit" disabled={mutation.isPending}>
            {mutation.isPending ? 'Triggering…' : 'Trigger'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
