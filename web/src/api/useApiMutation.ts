// A change sent to the server: errors become toasts, and on success every
// cached answer is re-validated (cheap with ETags) so all views agree.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '../components/Toasts';

interface Options<TResult> {
  successMessage?: string | ((result: TResult) => string);
  onSuccess?: (result: TResult) => void;
  /** Leave errors to the caller (a form that shows them inline). */
  quietErrors?: boolean;
}

export function useApiMutation<TVariables, TResult>(mutationFn: (variables: TVariables) => Promise<TResult>, options: Options<TResult> = {}) {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn,
    onSuccess: (result) => {
      void queryClient.invalidateQueries();
      if (options.successMessage) toast.success(typeof options.successMessage === 'function' ? options.successMessage(result) : options.successMessage);
      options.onSuccess?.(result);
    },
    onError: (error) => {
      if (!options.quietErrors) toast.error(error instanceof Error ? error.message : String(error));
    },
  });
}
