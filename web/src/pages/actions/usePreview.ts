// Asks the server what an action would change, again whenever its options
// change; a dry run changes nothing, so it is a query, not a mutation.
import { useQuery } from '@tanstack/react-query';
import type { TaskInstance } from '../../api/types';

export function usePreview<TOptions>(key: unknown[], options: TOptions, preview: (options: TOptions) => Promise<TaskInstance[]>) {
  return useQuery({
    queryKey: ['preview', ...key, options],
    queryFn: () => preview(options),
    gcTime: 0,
    staleTime: 0,
    retry: false,
  });
}
