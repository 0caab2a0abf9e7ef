import { seedCalendar } from '../lib/calendar-store';
import { createDb, Db } from '../lib/db';
import { publishDraft } from '../activities/catalog';
import { departments, publicApplicants, resources, userEmail, users } from './seed-data';

const SEEDED_AT = new Date('2026-01-05T02:00:00Z');
const SEED_ACTOR = 'system:seed';

/** Idempotent: every row has a fixed id and is upserted to the same values. */
export async function seed(db: Db, log: (line: string) => void = () => undefined): Promise<void> {
  for (const d of departments) {
    await db.department.upsert({
      where: { id: d.id },
      create: d,
      update: { name: d.name, kind: d.kind, headEmail: d.headEmail },
    });
  }
  for (const p of publicApplicants) {
    const data = {
      kind: p.kind,
      name: p.name,
      unifiedCreditCode: p.unifiedCreditCode ?? null,
      contactEmail: p.contactEmail,
    };
    await db.publicApplicant.upsert({ where: { id: p.id }, create: { id: p.id, ...data }, update: data });
  }
  for (const u of users) {
    const data = {
      login: u.login,
      displayName: u.displayName,
      email: userEmail(u),
      roles: u.roles,
      accountType: u.publicApplicantId ? ('PUBLIC' as const) : ('STAFF' as const),
      departmentId: u.departmentId ?? null,
      publicApplicantId: u.publicApplicantId ?? null,
    };
    await db.user.upsert({ where: { id: `u-${u.login}` }, create: { id: `u-${u.login}`, ...data }, update: data });
  }
  const providers = [...new Set(resources.map((r) => r.providerId))];
  for (const providerId of providers) {
    const id = `catalog-${providerId}`;
    await db.catalog.upsert({
      where: { id },
      create: {
        id,
        departmentId: providerId,
        name: '政务信息资源目录',
        status: 'PUBLISHED',
        publishedAt: SEEDED_AT,
      },
      update: {},
    });
  }
  // Seeded entries become published version 1 through the publication the review workflow uses
  // (activities/catalog.ts publishDraft): a submitted draft per entry, published once; a second run
  // finds the draft published and changes nothing.
  for (const r of resources) {
    const draftId = `draft-seed-${r.code}`;
    if (!(await db.catalogDraft.findUnique({ where: { id: draftId }, select: { id: true } })))
      await db.catalogDraft.create({
        data: {
          id: draftId,
          draftNo: `ML-SEED-${r.code}`,
          // Published by the seed, not by a workflow: marked started so the start reconciler leaves it.
          workflowId: `catalog-review/seed-${r.code}`,
          workflowStartedAt: SEEDED_AT,
          departmentId: r.providerId,
          resourceId: `res-${r.code}`,
          code: r.code,
          name: r.name,
          description: r.description,
          fields: r.fields,
          shareClass: r.shareClass,
          openClass: r.openClass,
          shareLegalBasis: r.shareLegalBasis ?? null,
          openLegalBasis: r.openLegalBasis ?? null,
          updateFrequency: r.updateFrequency,
          sourceSystem: '初始目录（种子数据）',
          status: 'SUBMITTED',
          createdById: SEED_ACTOR,
          idempotencyKey: `seed-${r.code}`,
          requestHash: 'seed',
          submittedAt: SEEDED_AT,
        },
      });
    await publishDraft(db, { draftId, actorUserId: SEED_ACTOR, at: SEEDED_AT });
  }
  await seedCalendar(db, log);
  log(`seeded ${departments.length} departments, ${users.length} users, ${resources.length} data resources`);
}

if (require.main === module) {
  // A deployment step like migrating: as the owner role where there is one.
  const url = process.env.MIGRATION_DATABASE_URL || process.env.DATABASE_URL;
  if (!url) {
    console.error('db:seed: MIGRATION_DATABASE_URL or DATABASE_URL must be set');
    process.exit(2);
  }
  const db = createDb(url);
  seed(db, console.log)
    .then(() => db.$disconnect())
    .catch(async (err: Error) => {
      console.error(`db:seed: ${err.message}`);
      await db.$disconnect();
      process.exit(1);
    });
}
