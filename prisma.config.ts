import { defineConfig } from 'prisma/config';

// The database URL is only needed by `prisma migrate deploy` (as the owner role,
// MIGRATION_DATABASE_URL, where there is one); `prisma generate` works without it.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations', seed: 'tsx prisma/seed.ts' },
  datasource: {
    url: process.env.MIGRATION_DATABASE_URL || process.env.DATABASE_URL || 'postgresql://localhost:5432/unused',
  },
});
