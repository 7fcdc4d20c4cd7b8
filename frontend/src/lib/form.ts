import type { z } from 'zod';

export type FieldErrors = Partial<Record<string, string>>;

/**
 * Validates form values with a contracts schema (the same one the API uses) and returns either
 * the parsed data or one message per top-level field.
 */
export function validate<S extends z.ZodType>(
  schema: S,
  values: unknown,
): { ok: true; data: z.infer<S> } | { ok: false; errors: FieldErrors } {
  const r = schema.safeParse(values);
  if (r.success) return { ok: true, data: r.data };
  const errors: FieldErrors = {};
  for (const issue of r.error.issues) {
    const key = String(issue.path[0] ?? '_form');
    errors[key] ??= humanise(issue);
  }
  return { ok: false, errors };
}

function humanise(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'This field is required';
  if (issue.code === 'too_small' && issue.minimum === 1 && issue.origin === 'string')
    return 'This field is required';
  return issue.message;
}

/** Reads a form's named inputs as strings. */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  new FormData(form).forEach((v, k) => {
    if (typeof v === 'string') out[k] = v;
  });
  return out;
}
