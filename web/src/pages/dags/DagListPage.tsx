import { useCallback } from 'react';
import { useSearchParams } from 'react-router';
import { useDagTags, useUiDags } from '../../api/hooks/dags';
import { Pagination } from '../../components/Pagination';
import { Empty, ErrorMessage, Loading } from '../../components/QueryState';
import { useDebounced } from '../../lib/useDebounced';
import { useSession } from '../../auth/SessionContext';
import { hasPermission } from '../../lib/permissions';
import { DagRow } from './DagRow';
import { ImportErrorsBanner } from './ImportErrorsBanner';

const PAGE_SIZE = 50;
type PausedFilter = 'all' | 'active' | 'paused';

export function DagListPage() {
  // Filters live in the URL so a filtered list can be shared and reloaded.
  const [params, setParams] = useSearchParams();
  const search = params.get('search') ?? '';
  const tag = params.get('tag') ?? '';
  const pausedFilter = (params.get('status') as PausedFilter) || 'all';
  const offset = Number(params.get('offset') ?? 0) || 0;
  const debouncedSearch = useDebounced(search, 300);

  const update = useCallback(
    (changes: Record<string, string>) =>
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          for (const [key, value] of Object.entries(changes)) {
            if (value) next.set(key, value);
            else next.delete(key);
          }
          if (!('offset' in changes)) next.delete('offset');
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );

  const { data, error, isFetching } = useUiDags({
    search: debouncedSearch,
    tags: tag ? [tag] : [],
    paused: pausedFilter === 'all' ? undefined : pausedFilter === 'paused',
    offset,
    limit: PAGE_SIZE,
  });
  const tags = useDagTags();
  const { session } = useSession();
  const canTrigger = hasPermission(session, 'DAG_RUN:create');
  const onTagClick = useCallback((name: string) => update({ tag: name }), [update]);

  return (
    <div className="page">
      <div className="page-header">
        <h1>DAGs</h1>
        {isFetching && <span className="fetch-dot" title="Refreshing" />}
      </div>
      <ImportErrorsBanner />
      <div className="toolbar">
        <input
          type="search"
          className="search-input"
          placeholder="Search DAGs"
          aria-label="Search DAGs by id"
          data-testid="dag-search"
          value={search}
          onChange={(event) => update({ search: event.target.value })}
        />
        <div className="segmented" role="group" aria-label="Paused filter">
          {(['all', 'active', 'paused'] as PausedFilter[]).map((value) => (
            <button key={value} type="button" className={pausedFilter === value ? 'active' : ''} aria-pressed={pausedFilter === value} data-testid={`status-filter-${value}`} onClick={() => update({ status: value === 'all' ? '' : value })}>
              {value[0].toUpperCase() + value.slice(1)}
            </button>
          ))}
        </div>
        <select data-testid="tag-filter" aria-label="Filter by tag" value={tag} onChange={(event) => update({ tag: event.target.value })}>
          <option value="">All tags</option>
          {tags.data?.tags.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
          {tag && !tags.data?.tags.includes(tag) && <option value={tag}>{tag}</option>}
        </select>
      </div>
      {error ? (
        <ErrorMessage error={error} />
      ) : !data ? (
        <Loading what="DAGs" />
      ) : data.dags.length === 0 ? (
        <Empty>No DAG matches these filters.</Empty>
      ) : (
        <div className="table-card">
          <table className="table dag-table">
            <thead>
              <tr>
                <th className="col-toggle" aria-label="Active" />
                <th>DAG</th>
                <th>Owner</th>
                <th>Schedule</th>
                <th>Latest run</th>
                <th>Next run</th>
                <th>Recent runs</th>
                <th className="col-actions" aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {data.dags.map((dag) => (
                <DagRow key={dag.dag_id} dag={dag} onTagClick={onTagClick} canTrigger={canTrigger} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && <Pagination offset={offset} limit={PAGE_SIZE} total={data.total_entries} onChange={(value) => update({ offset: value ? String(value) : '' })} />}
    </div>
  );
}
