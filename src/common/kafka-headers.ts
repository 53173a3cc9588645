import { IHeaders } from 'kafkajs';

/** A header's first value as text, or null when it is absent. */
export function headerText(headers: IHeaders | undefined, name: string): string | null {
  const value = headers?.[name];
  if (value === undefined) return null;
  return (Array.isArray(value) ? value[0] : value).toString();
}
