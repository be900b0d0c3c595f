import { z } from 'zod';

/**
 * Zod pieces the services' config schemas share. Values may arrive as strings
 * (env substitution and env overrides yield strings), so numbers are coerced
 * and flags accept "true"/"false".
 */

/** `"a:1,b:2"` or `["a:1"]` → `["a:1","b:2"]`; the seeds use comma lists. */
export const brokerList = z
  .union([z.string(), z.array(z.string())])
  .transform(v =>
    (Array.isArray(v) ? v : v.split(',')).map(s => s.trim()).filter(Boolean),
  )
  .pipe(
    z
      .array(
        z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'each broker must be host:port'),
      )
      .min(1, 'at least one broker is required'),
  );

/** A port given as number or numeric string (env substitution yields strings). */
export const port = z.coerce.number().int().min(0).max(65535);

/** A whole number above zero, given as number or numeric string. */
export const positiveInt = z.coerce.number().int().positive();

/** A name Kafka accepts for a topic (its own rule: 1-249 of these characters). */
export const topicName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a valid Kafka topic name');

/**
 * true/false, also as the strings env substitution produces (`Boolean("false")`
 * is true, so a plain coercion would turn every substituted flag on). zod's
 * stringbool also reads 1/0, yes/no, on/off, as energy-ws always did.
 */
export const flag = z.union([z.boolean(), z.stringbool()], {
  message: 'must be true or false',
});
