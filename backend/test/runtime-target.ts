export interface ServicesTarget {
  adminUrl: string;
  template: string;
  redisUrl: string;
  s3Endpoint: string;
}

export function testRuntime(): 'embedded' | 'services' {
  const r = process.env.HANGER_TEST_RUNTIME ?? 'embedded';
  if (r !== 'embedded' && r !== 'services') {
    throw new Error(`HANGER_TEST_RUNTIME must be embedded or services, not ${r}`);
  }
  return r;
}
