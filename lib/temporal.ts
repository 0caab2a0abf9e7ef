import { Client, Connection, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../workflows/search-attributes';

export interface TemporalHandle {
  client: Client;
  connection: Connection;
}

/**
 * A Temporal call that was not answered in time: its abort signal fired or its deadline passed
 * (the gRPC error, or the SDK's Update error wrapping it, whose text varies by connection).
 */
export function isCallTimeout(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const e = err as Error | undefined;
  return e?.name === 'AbortError' || e?.name === 'TimeoutError' || /abort|deadline/i.test(e?.message ?? '');
}

export async function connectTemporal(address: string, namespace: string): Promise<TemporalHandle> {
  const connection = await Connection.connect({ address, connectTimeout: '5s' });
  return { connection, client: new Client({ connection, namespace }) };
}

/**
 * Connects on first use and again after a failure, so the API starts (and answers /healthz
 * with "temporal down") even while Temporal is unreachable.
 */
export function lazyTemporal(address: string, namespace: string): () => Promise<TemporalHandle> {
  let pending: Promise<TemporalHandle> | undefined;
  return () => {
    pending ??= connectTemporal(address, namespace).catch((err) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

const INDEXED_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  Datetime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  Bool: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

/**
 * Registers the procedures' search attributes on a server that lacks them (the time-skipping
 * test server, or a fresh cluster). An upsert of an unregistered attribute wedges the workflow.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace }).catch(() => undefined);
  const missing = SEARCH_ATTRIBUTE_DEFINITIONS.filter(([name]) => !existing?.customAttributes?.[name]);
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_TYPES[type]])),
  });
}
