import { lazy, Suspense } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { useDagDetails } from '../../api/hooks/dags';
import { ErrorMessage, Loading } from '../../components/QueryState';
import { DagHeader } from './DagHeader';
import { DAG_TABS, type DagTab } from './dagLinks';
import { GridSection } from './GridSection';

// The graph view brings dagre: load it only when the tab is opened.
const GraphView = lazy(() => import('./graph/GraphView'));
const GanttView = lazy(() => import('./gantt/GanttView'));
const CodeView = lazy(() => import('./CodeView'));
const DetailsView = lazy(() => import('./DetailsView'));

export function DagPage() {
  const { dagId = '', runId, taskId } = useParams();
  const [params] = useSearchParams();
  const requested = params.get('tab') as DagTab | null;
  const tab: DagTab = runId || !requested || !DAG_TABS.some((item) => item.id === requested) ? 'grid' : requested;
  const selectedRun = runId ?? params.get('run') ?? undefined;
  const details = useDagDetails(dagId);

  if (details.error) return <div className="page"><ErrorMessage error={details.error} /></div>;

  // The body does not wait for the header's details: the grid's request
  // starts at once, beside them, rather than after.
  return (
    <div className="page dag-page">
      {details.data ? <DagHeader dag={details.data} activeTab={tab} runId={selectedRun} /> : <div className="dag-header dag-header-loading"><Loading what="DAG" /></div>}
      <div className="dag-body">
        {tab === 'grid' ? (
          <GridSection dagId={dagId} runId={runId} taskId={taskId} />
        ) : (
          <Suspense fallback={<Loading />}>
            {tab === 'graph' && <GraphView dagId={dagId} runId={selectedRun} />}
            {tab === 'gantt' && <GanttView dagId={dagId} runId={selectedRun} />}
            {tab === 'code' && <CodeView dagId={dagId} runId={selectedRun} />}
            {tab === 'details' && (details.data ? <DetailsView dag={details.data} /> : <Loading />)}
          </Suspense>
        )}
      </div>
    </div>
  );
}
