interface PaginationProps {
  offset: number;
  limit: number;
  total: number;
  onChange: (offset: number) => void;
}

/** "1–50 of 120" with previous and next. */
export function Pagination({ offset, limit, total, onChange }: PaginationProps) {
  if (total <= limit && offset === 0) return <div className="pagination muted">{total} in all</div>;
  const last = Math.min(offset + limit, total);
  return (
    <div className="pagination">
      <span className="muted">
        {total === 0 ? 0 : offset + 1}–{last} of {total}
      </span>
      <button type="button" className="button button-small" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        Previous
      </button>
      <button type="button" className="button button-small" disabled={last >= total} onClick={() => onChange(offset + limit)}>
        Next
      </button>
    </div>
  );
}
