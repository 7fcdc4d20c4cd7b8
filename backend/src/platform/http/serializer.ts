import { ResponseSerializationError } from 'fastify-type-provider-zod';
import { $ZodType, safeParse } from 'zod/v4/core';

/**
 * Response serializer: the body is checked against the route's Zod response schema (unknown keys
 * are stripped, so nothing the contract does not name leaves the API) and then stringified.
 *
 * fastify-type-provider-zod's own compiler uses `safeEncode`, which walks the schema without
 * Zod's compiled fast path: ~40 times slower than `safeParse` on a small object (bench:http).
 * Our response schemas hold no codecs, so parsing gives the same output.
 */
export const responseSerializerCompiler = ({
  schema,
  method,
  url,
}: {
  schema: unknown;
  method: string;
  url: string;
}) => {
  const zod = resolve(schema);
  return (data: unknown): string => {
    const result = safeParse(zod, data);
    if (!result.success) throw new ResponseSerializationError(method, url, { cause: result.error });
    return JSON.stringify(result.data);
  };
};

function resolve(schema: unknown): $ZodType {
  if (schema instanceof $ZodType) return schema;
  const properties = (schema as { properties?: unknown } | null)?.properties;
  if (properties instanceof $ZodType) return properties;
  throw new TypeError(`Not a Zod response schema: ${JSON.stringify(schema)}`);
}
