import type { IndexDefinition, SearchDocument } from './contract.ts';

/**
 * An index as an app declares it (AppModule.searchIndexes): the definition and how records
 * become documents. `version` of a document is the record's own change time (updated_at in
 * milliseconds), so writes of one record are ordered whatever order their jobs run in.
 */
export interface SearchSource {
  readonly definition: IndexDefinition;
  /** The current documents of these records; a record that no longer exists is simply absent. */
  load(ids: readonly string[]): Promise<SearchDocument[]>;
  /** Every record's document, `limit` at a time, in ascending id order after `after`. */
  scan(after: string | undefined, limit: number): Promise<SearchDocument[]>;
  /** How many records there are (for progress and the status's drift). */
  count(): Promise<number>;
}
