import { z } from 'zod';

/** A JSON value: what learned state serialises to. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Parses a learner's saved JSON state with a zod schema, failing with the learner's name. */
export function parseState<T extends z.ZodType>(learner: string, schema: T, json: Json): z.infer<T> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${learner}: saved state is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

export const numbers = z.array(z.number());
export const rngState = z.array(z.number().int()).length(4);
