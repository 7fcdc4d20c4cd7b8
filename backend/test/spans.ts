import type { Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/**
 * The spans `record` ends, made by a real provider whose resource has these attributes (tests of
 * span serializers and exporters).
 */
export function recordSpans(
  resource: Attributes,
  record: (provider: BasicTracerProvider) => void,
): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  record(provider);
  return memory.getFinishedSpans();
}
