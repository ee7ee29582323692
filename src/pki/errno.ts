/** Narrows an unknown error to a Node system error with a `code` such as `ENOENT`. */
export function isErrnoException(value: unknown): value is NodeJS.ErrnoException {
  return value instanceof Error && typeof (value as NodeJS.ErrnoException).code === 'string';
}
