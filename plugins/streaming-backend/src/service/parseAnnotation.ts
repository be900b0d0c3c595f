import { InputError } from '@backstage/errors';
import { AnnotationError } from '@homelab/plugin-streaming-common';

/** Turns a malformed annotation into a 400 that quotes the annotation and the expected form. */
export function parseAnnotation<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof AnnotationError) throw new InputError(error.message);
    throw error;
  }
}
