import { Injectable, PipeTransform } from '@nestjs/common';
import { InvalidRequestError } from '../common/errors';
import { orderIdProblem, realInstant, TENANT_ID, TENANT_ID_RULE } from '../common/stored-fields';
import { ListInvoicesQuery, MAX_PAGE_SIZE } from './invoice.dto';

const DIGITS = /^[0-9]+$/;
const MAX_CURSOR_LENGTH = 200;
/** A date (midnight UTC), or a timestamp with its zone: one without would name an instant only in the server's zone. */
const DATE_OR_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

type Field = keyof ListInvoicesQuery;
type Rule = (value: string) => string | undefined;

const RULES: Record<Field, { rule: Rule; repeated: string }> = {
  tenant_id: { rule: (v) => (TENANT_ID.test(v) ? undefined : `tenant_id must be ${TENANT_ID_RULE}`), repeated: 'tenant_id must be given once' },
  order_id: { rule: orderIdProblem, repeated: 'order_id must be given once' },
  created_from: { rule: (v) => instantProblem('created_from', v), repeated: 'created_from must be given once' },
  created_to: { rule: (v) => instantProblem('created_to', v), repeated: 'created_to must be given once' },
  limit: { rule: limitProblem, repeated: 'limit must be an integer' },
  cursor: { rule: (v) => (v.length >= 1 && v.length <= MAX_CURSOR_LENGTH ? undefined : 'cursor is not valid'), repeated: 'cursor must be given once' },
};

/**
 * The query of `GET /invoices`, checked field by field as PostgreSQL will compare it. Every problem is named at once,
 * unknown parameters first; a parameter given twice (an array) or as an object is refused, never coerced.
 */
export function parseListInvoicesQuery(raw: unknown): ListInvoicesQuery {
  const params = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const names = Object.keys(params);
  const problems = names.filter((name) => !Object.hasOwn(RULES, name)).map((name) => `unknown query parameter "${name}"`);
  const query: ListInvoicesQuery = {};
  for (const field of Object.keys(RULES) as Field[]) {
    const value = Object.hasOwn(params, field) ? params[field] : undefined;
    if (value === undefined) continue;
    const problem = typeof value === 'string' ? RULES[field].rule(value) : RULES[field].repeated;
    if (problem) problems.push(problem);
    else assign(query, field, value as string);
  }
  if (problems.length > 0) throw new InvalidRequestError(problems.join('; '));
  return query;
}

/** Checks the query of the invoice listing with parseListInvoicesQuery. */
@Injectable()
export class ListInvoicesQueryPipe implements PipeTransform<unknown, ListInvoicesQuery> {
  transform(value: unknown): ListInvoicesQuery {
    return parseListInvoicesQuery(value);
  }
}

function assign(query: ListInvoicesQuery, field: Field, value: string): void {
  if (field === 'limit') query.limit = Number(value);
  else query[field] = value;
}

function limitProblem(value: string): string | undefined {
  if (!DIGITS.test(value)) return 'limit must be an integer';
  const limit = Number(value);
  return limit >= 1 && limit <= MAX_PAGE_SIZE ? undefined : `limit must be from 1 to ${MAX_PAGE_SIZE}`;
}

function instantProblem(name: string, value: string): string | undefined {
  return realInstant(value, DATE_OR_TIMESTAMP) ? undefined : `${name} must be an ISO 8601 date (YYYY-MM-DD) or a timestamp with a time zone`;
}
