import { useState } from 'react';
import { useDebounced } from '../../lib/useDebounced';

/** Search text (debounced into a LIKE pattern) and page offset of an admin list. */
export function useAdminList() {
  const [search, setSearchText] = useState('');
  const [offset, setOffset] = useState(0);
  const pattern = useDebounced(search, 300);
  const setSearch = (value: string) => {
    setSearchText(value);
    setOffset(0);
  };
  return { search, setSearch, pattern, offset, setOffset };
}
