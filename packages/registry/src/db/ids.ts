/**
 * Ids are uuids in the database; a malformed id in a query would make PostgreSQL raise
 * (invalid input syntax for type uuid), so lookups check the form first and find nothing.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
