// The DAG as a graph: tasks laid out left to right, colored by their state
// in the selected run; drag to pan, wheel to zoom.
import { useMemo } from 'react';
import { useNavigate } from 'react-router';
import { useTasks } from '../../../api/hooks/dags';
import { useRunTaskInstances } from '../../../api/hooks/runs';
import { ErrorMessage, Loading } from '../../../components/QueryState';
import { layoutGraph } from '../../../lib/graphLayout';
import { isActiveState } from '../../../lib/stateColors';
import { taskInstancePath } from '../dagLinks';
import { RunPicker, useSelectedRun } from '../RunPicker';
import { StateLegend } from '../StateLegend';
import { GraphCanvas } from './GraphCanvas';

export default function GraphView({ dagId, runId }: { dagId: string; runId?: string }) {
  const navigate = useNavigate();
  const tasks = useTasks(dagId);
  const { run, runs } = useSelectedRun(dagId, runId);
  const taskInstances = useRunTaskInstances(dagId, run?.dag_run_id, isActiveState(run?.state));
  const layout = useMemo(() => (tasks.data ? layoutGraph(tasks.data.tasks.map((task) => ({ task_id: task.task_id, downstream_task_ids: task.downstream_task_ids, label: task.task_display_name || task.task_id }))) : null), [tasks.data]);
  const states = useMemo(() => new Map((taskInstances.data ?? []).map((ti) => [ti.task_id, ti.state])), [taskInstances.data]);
  const operators = useMemo(() => new Map((tasks.data?.tasks ?? []).map((task) => [task.task_id, task.operator_name])), [tasks.data]);

  if (tasks.error) return <ErrorMessage error={tasks.error} />;
  if (!layout) return <Loading what="graph" />;
  return (
    <div className="view-with-toolbar">
      <div className="view-toolbar">
        <RunPicker runs={runs} selected={run?.dag_run_id} />
      </div>
      <GraphCanvas
        layout={layout}
        states={states}
        operators={operators}
        onNodeClick={run ? (taskId) => navigate(taskInstancePath(dagId, run.dag_run_id, taskId)) : undefined}
      />
      <StateLegend />
    </div>
  );
}
