import { QueryClient } from '@tanstack/react-query';
import { ApiError } from './api';

export function createQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        // Client errors (404, 403, 401) do not get better by asking again.
        retry: (count, error) =>
          !(error instanceof ApiError && error.status < 500 && error.status !== 429) && count < 2,
        refetchOnWindowFocus: false,
      },
    },
  });
}
