import type { ReactNode } from 'react';

/** The search box and the "add" button above each admin table. */
export function AdminToolbar({ search, onSearch, placeholder, children, testId }: { search: string; onSearch: (value: string) => void; placeholder: string; children?: ReactNode; testId: string }) {
  return (
    <div className="toolbar">
      <input type="search" className="search-input" placeholder={placeholder} aria-label={placeholder} data-testid={testId} value={search} onChange={(event) => onSearch(event.target.value)} />
      <div className="toolbar-spacer" />
      {children}
    </div>
  );
}
