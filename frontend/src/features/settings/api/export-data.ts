import type { ExportJob } from '@hanger/contracts';
import { useMutation } from '@tanstack/react-query';
import { api } from '../../../lib/api';

/** POST /me/export: starts a job that builds a downloadable archive of your data. */
export async function exportData(): Promise<ExportJob> {
  const res = await api<{ data: ExportJob }>('/me/export', { method: 'POST' });
  return res.data;
}

export function useExportData() {
  return useMutation({ mutationFn: exportData });
}
