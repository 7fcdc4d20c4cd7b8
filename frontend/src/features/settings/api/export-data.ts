import type { ExportJob } from '@hanger/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api';
import { exportsKey } from './get-exports';

/** POST /me/export: starts a job that builds a downloadable archive of your data. */
export async function exportData(): Promise<ExportJob> {
  const res = await api<{ data: ExportJob }>('/me/export', { method: 'POST' });
  return res.data;
}

export function useExportData() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: exportData,
    onSettled: () => qc.invalidateQueries({ queryKey: exportsKey }),
  });
}
