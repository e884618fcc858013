import { Type } from '@sinclair/typebox';
import { badRequest } from '../http/errors.ts';
import { SearchQueryError, type IndexDefinition, type SearchQuery, type SearchResult } from './contract.ts';
import type { Search } from './search.ts';

/** `?q=` on a search endpoint: longer text is a 400 (no one types 1,000 characters into a search box). */
export const SearchText = Type.String({ maxLength: 1000 });

/** Runs a query for a route: a query the index cannot answer (bad cursor, field) is a 400 naming the parameter. */
export async function searchForRoute(search: Search, definition: IndexDefinition, query: SearchQuery): Promise<SearchResult> {
  try {
    return await search.query(definition, query);
  } catch (error) {
    if (error instanceof SearchQueryError) throw badRequest(error.message, { [error.field ?? 'q']: error.message });
    throw error;
  }
}
