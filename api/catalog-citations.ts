/**
 * What an application cites of the catalog (Chapter 3): each of its resources as the entry stood
 * in the version in force when the application was submitted (`application_resource.resource_version`,
 * set by the database on insert), and the refusal of entries that have been retired (撤销/停用) for
 * new applications and open requests. Running cases keep the version they cited.
 */
import { z } from 'zod';
import type { Db } from '../lib/db';
import { AppError } from './errors';

export interface CitedVersion {
  code: string;
  version: number | null;
  name: string | null;
  shareClass: string | null;
  openClass: string | null;
  publishedAt: Date | null;
}

export const citedVersionSchema = z
  .object({
    code: z.string(),
    version: z.number().int().nullable().describe('The entry version in force when the application was submitted'),
    name: z.string().nullable().describe("The entry's name in that version"),
    shareClass: z.string().nullable().describe('Share class in that version (Art. 21)'),
    openClass: z.string().nullable().describe('Open class in that version (Art. 24)'),
    publishedAt: z.iso.datetime().nullable(),
  })
  .nullable()
  .describe('The catalog version the application cites (null for rows from before versions were recorded)');

/** The cited version of each application resource, keyed by resource id. */
export async function citedVersions(
  db: Db,
  rows: Array<{ resourceId: string; resourceVersion: number | null; resource: { code: string } }>,
): Promise<Map<string, CitedVersion>> {
  const cited = rows.filter((r) => r.resourceVersion !== null);
  const versions = cited.length
    ? await db.dataResourceVersion.findMany({
        where: { OR: cited.map((r) => ({ resourceId: r.resourceId, version: r.resourceVersion! })) },
        select: { resourceId: true, version: true, snapshot: true, publishedAt: true },
      })
    : [];
  return new Map(
    rows.map((r) => {
      const v = versions.find((x) => x.resourceId === r.resourceId && x.version === r.resourceVersion);
      const snap = (v?.snapshot ?? {}) as { name?: string; shareClass?: string; openClass?: string };
      return [
        r.resourceId,
        {
          code: r.resource.code,
          version: r.resourceVersion,
          name: snap.name ?? null,
          shareClass: snap.shareClass ?? null,
          openClass: snap.openClass ?? null,
          publishedAt: v?.publishedAt ?? null,
        },
      ];
    }),
  );
}

/**
 * A retired entry (撤销/停用) can no longer be cited by a new application or open request:
 * 422 CATALOG_ENTRY_RETIRED naming the entries. Call it on the entries a submission names.
 */
export function refuseRetired(resources: Array<{ code: string; name: string; retiredAt: Date | null }>): void {
  const retired = resources.filter((r) => r.retiredAt !== null);
  if (retired.length)
    throw new AppError(
      'CATALOG_ENTRY_RETIRED',
      {
        zh: `目录条目已停用（撤销），不能再申请：${retired.map((r) => `${r.code} ${r.name}`).join('；')}`,
        en: `Catalog entries retired, no longer open to applications: ${retired.map((r) => r.code).join(', ')}`,
      },
      { resources: retired.map((r) => r.code) },
    );
}
