import type { DestinationStream } from 'pino';

export interface CapturedLogs {
  stream: DestinationStream;
  /** Every line written so far, raw. */
  text(): string;
  /** Every line written so far, parsed. */
  lines(): Record<string, unknown>[];
}

/** A pino destination that keeps every line in memory (tests that read the logs). */
export function captureLogs(): CapturedLogs {
  const raw: string[] = [];
  return {
    stream: { write: (line: string) => void raw.push(line) },
    text: () => raw.join(''),
    lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
