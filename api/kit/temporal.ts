/** The API's Temporal client: a 503 the caller can retry when Temporal cannot be reached. */
import type { Client } from '@temporalio/client';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';

export async function temporalClient(deps: Pick<ApiDeps, 'temporal'>): Promise<Client> {
  const { client } = await deps.temporal().catch((err: Error) => {
    throw unavailable(err);
  });
  return client;
}

/** The gRPC reason stays in the English text (and so in the log); the Chinese asks for a retry. */
export function unavailable(err: unknown): AppError {
  return new AppError('SERVICE_UNAVAILABLE', {
    zh: '工作流服务暂不可用，请稍后重试同一请求',
    en: `The workflow service is unavailable; retry the same request (${(err as Error).message.split('\n')[0]})`,
  });
}
