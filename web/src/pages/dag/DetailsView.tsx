import type { DagDetails } from '../../api/types';
import { JsonBlock } from '../../components/JsonBlock';
import { KeyValueTable } from '../../components/KeyValueTable';
import { Time } from '../../components/Time';
import { ParamsTable } from './ParamsTable';
import { scheduleInWords } from '../../lib/schedule';

export default function DetailsView({ dag }: { dag: DagDetails }) {
  const version = dag.latest_dag_version;
  return (
    <div className="details-view" data-testid="dag-details">
      <section>
        <h3 className="section-title">DAG</h3>
        <KeyValueTable
          rows={[
            ['DAG id', <span className="mono">{dag.dag_id}</span>],
            ['Description', dag.description],
            ['Schedule', `${scheduleInWords(dag.timetable_description, dag.timetable_summary)} (${dag.timetable_summary ?? 'None'})`],
            ['Start date', <Time value={dag.start_date} />],
            ['End date', <Time value={dag.end_date} />],
            ['Catchup', dag.catchup ? 'Yes' : 'No'],
            ['Timezone', dag.timezone],
            ['Max active runs', dag.max_active_runs],
            ['Max active tasks', dag.max_active_tasks],
            ['Run timeout', dag.dag_run_timeout],
            ['Owners', dag.owners.join(', ')],
            ['Tags', dag.tags.map((tag) => tag.name).join(', ') || null],
            ['Paused', dag.is_paused ? 'Yes' : 'No'],
            ['File', <span className="mono">{dag.fileloc}</span>],
            ['Last parsed', <Time value={dag.last_parsed_time} />],
            ['Latest version', version ? <>v{version.version_number} · <Time value={version.created_at} /> <span className="muted mono small">{version.bundle_version?.slice(0, 12)}</span></> : null],
          ]}
        />
      </section>
      <section>
        <h3 className="section-title">Params</h3>
        <ParamsTable params={dag.params} />
        <h3 className="section-title">Default args</h3>
        <JsonBlock value={dag.default_args ?? {}} />
        {dag.doc_md && (
          <>
            <h3 className="section-title">Documentation</h3>
            <pre className="json-block">{dag.doc_md}</pre>
          </>
        )}
      </section>
    </div>
  );
}
