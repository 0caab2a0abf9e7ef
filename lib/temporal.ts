import { Client, Connection } from '@temporalio/client';

export interface TemporalHandle { client: Client; connection: Connection }

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
