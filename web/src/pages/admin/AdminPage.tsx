import type { ReactNode } from 'react';
import type { AdminItems } from '../../api/hooks/admin';
import { Pagination } from '../../components/Pagination';
import { ErrorMessage, Loading } from '../../components/QueryState';
import { AdminToolbar } from './AdminToolbar';
import type { useAdminList } from './useAdminList';

/** What every admin list's query gives: a page of items and their total. */
interface PageQuery<T> {
  error: unknown;
  data?: AdminItems<T>;
}

/**
 * The frame every admin page shares: title, search and "add" button, the
 * table of one page of items with an actions column, and paging. `noun`
 * names the test ids: `${noun}-search`, `${noun}-add`, `${noun}s-table`.
 */
export function AdminPage<T>({ title, noun, list, query, searchPlaceholder, addLabel, onAdd, headers, row, children }: {
  title: string;
  noun: string;
  list: ReturnType<typeof useAdminList>;
  query: PageQuery<T>;
  searchPlaceholder: string;
  /** Shown when the user may create one. */
  addLabel?: string;
  onAdd: () => void;
  headers: string[];
  row: (item: T) => ReactNode;
  /** Dialogs the page opens. */
  children?: ReactNode;
}) {
  const data = query.data;
  return (
    <div className="page">
      <div className="page-header">
        <h1>{title}</h1>
      </div>
      <AdminToolbar search={list.search} onSearch={list.setSearch} placeholder={searchPlaceholder} testId={`${noun}-search`}>
        {addLabel && (
          <button type="button" className="button button-primary" data-testid={`${noun}-add`} onClick={onAdd}>
            {addLabel}
          </button>
        )}
      </AdminToolbar>
      {query.error ? (
        <ErrorMessage error={query.error} />
      ) : !data ? (
        <Loading />
      ) : (
        <div className="table-card">
          <table className="table" data-testid={`${noun}s-table`}>
            <thead>
              <tr>
                {headers.map((header) => (
                  <th key={header}>{header}</th>
                ))}
                <th className="col-actions" />
              </tr>
            </thead>
            <tbody>
              {data.items.map(row)}
              {data.items.length === 0 && (
                <tr>
                  <td colSpan={headers.length + 1} className="muted">
                    No {title.toLowerCase()}.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {data && <Pagination offset={list.offset} limit={50} total={data.total_entries} onChange={list.setOffset} />}
      {children}
    </div>
  );
}

/** The Edit and Delete buttons of a row, each shown only when allowed. */
export function RowActions({ noun, id, onEdit, onDelete, children }: {
  noun: string;
  id: string;
  onEdit?: () => void;
  onDelete?: () => void;
  children?: ReactNode;
}) {
  return (
    <td className="col-actions">
      {children}
      {onEdit && (
        <button type="button" className="button button-small" data-testid={`${noun}-edit-${id}`} onClick={onEdit}>
          Edit
        </button>
      )}
      {onDelete && (
        <button type="button" className="button button-small button-danger-outline" data-testid={`${noun}-delete-${id}`} onClick={onDelete}>
          Delete
        </button>
      )}
    </td>
  );
}
