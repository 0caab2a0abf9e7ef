-- AlterEnum
ALTER TYPE "ApplicationStatus" ADD VALUE 'REVOKED';

-- AlterTable
ALTER TABLE "authorization" ADD COLUMN     "revoked_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "use_report" (
    "id" TEXT NOT NULL,
    "authorization_id" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "security_incidents" TEXT,
    "submitted_by_id" TEXT NOT NULL,
    "submitted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "use_report_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "open_data_download" (
    "id" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "user_id" TEXT,
    "public_applicant_id" TEXT,
    "grant_id" TEXT,
    "request_id" TEXT NOT NULL,
    "downloaded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "open_data_download_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "authorization_application_id_idx" ON "authorization"("application_id");
CREATE UNIQUE INDEX "use_report_authorization_id_period_key" ON "use_report"("authorization_id", "period");
CREATE INDEX "open_data_download_resource_id_downloaded_at_idx" ON "open_data_download"("resource_id", "downloaded_at");

-- AddForeignKey
ALTER TABLE "use_report" ADD CONSTRAINT "use_report_authorization_id_fkey" FOREIGN KEY ("authorization_id") REFERENCES "authorization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "open_data_download" ADD CONSTRAINT "open_data_download_resource_id_fkey" FOREIGN KEY ("resource_id") REFERENCES "data_resource"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
