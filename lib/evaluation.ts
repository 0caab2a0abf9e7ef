/**
 * Department evaluation from the stored rows (domain/evaluation.ts has the definitions), and its
 * exports: CSV (csv-stringify) and XLSX (exceljs), with Chinese headings for the people who read
 * them and the stable field names beside them.
 */
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';
import { evaluate, Evaluation, Period } from '../domain/evaluation';
import type { WorkingCalendar } from '../domain/calendar';
import type { Db } from './db';

export async function evaluateDepartment(
  db: Db,
  calendarNow: () => Promise<WorkingCalendar>,
  departmentId: string,
  period: Period,
  now = new Date(),
): Promise<Evaluation> {
  const [tasks, escalations, objections, downloads, calendar] = await Promise.all([
    db.task.findMany({
      where: {
        candidateDeptId: departmentId,
        createdAt: { lt: period.to },
        OR: [
          { createdAt: { gte: period.from } },
          { completedAt: { gte: period.from } },
          { dueAt: { gte: period.from, lt: period.to } },
        ],
      },
      select: {
        id: true,
        workflowId: true,
        procedure: true,
        step: true,
        status: true,
        createdAt: true,
        dueAt: true,
        completedAt: true,
      },
    }),
    db.$queryRaw<Array<{ entity_id: string }>>`
      SELECT DISTINCT a.entity_id FROM audit_log a JOIN task t ON t.id = a.entity_id
      WHERE a.entity_type = 'Task' AND a.action = 'TASK_ESCALATED'
        AND t.candidate_dept_id = ${departmentId} AND t.due_at >= ${period.from} AND t.due_at < ${period.to}`,
    db.objection.findMany({
      where: {
        resource: { providerId: departmentId },
        OR: [{ receivedAt: { gte: period.from, lt: period.to } }, { correctedAt: { gte: period.from, lt: period.to } }],
      },
      select: { receivedAt: true, correctedAt: true },
    }),
    db.openDataDownload.count({
      where: { resource: { providerId: departmentId }, downloadedAt: { gte: period.from, lt: period.to } },
    }),
    calendarNow(),
  ]);
  const escalated = new Set(escalations.map((e) => e.entity_id));
  return evaluate({
    departmentId,
    period,
    now,
    tasks: tasks.map((t) => ({ ...t, escalated: escalated.has(t.id) })),
    objections: objections.map((o) => ({ createdAt: o.receivedAt, correctedAt: o.correctedAt })),
    downloads,
    workingDaysBetween: (from, to) => calendar.workingDaysBetween(from, to),
  });
}

const SUMMARY: Array<[keyof Evaluation, string]> = [
  ['overdue', '逾期环节数'],
  ['escalated', '督办（升级）环节数'],
  ['objectionsReceived', '收到异议数'],
  ['objectionsCorrected', '已更正异议数'],
  ['shareRequestsAnswered', '答复共享申请数'],
  ['openDataDownloads', '开放数据下载次数'],
];

/** One table for all departments: a line per figure, the same columns in CSV and XLSX. */
function lines(evaluations: Evaluation[]): string[][] {
  const out: string[][] = [
    ['部门 department', '期间 period', '事项 procedure', '环节 step', '指标 figure', '值 value'],
  ];
  for (const e of evaluations) {
    const row = (procedure: string, step: string, figure: string, value: number | null) =>
      out.push([e.departmentId, e.period.label, procedure, step, figure, value === null ? '' : String(value)]);
    for (const p of e.procedures) {
      row(p.procedure, '', '受理案件数 received', p.received);
      row(p.procedure, '', '办结案件数 handled', p.handled);
    }
    for (const s of e.steps) {
      row(s.procedure, s.step, '办理环节数 handled', s.handled);
      row(s.procedure, s.step, '按时办理数 onTime', s.onTime);
      row(
        s.procedure,
        s.step,
        '按时率 onTimeRate',
        s.onTimeRate === null ? null : Math.round(s.onTimeRate * 1000) / 1000,
      );
      row(s.procedure, s.step, '办理用时中位数（工作日） medianWorkingDays', s.medianWorkingDays);
      row(s.procedure, s.step, '办理用时第90百分位（工作日） p90WorkingDays', s.p90WorkingDays);
    }
    for (const [key, label] of SUMMARY) row('', '', `${label} ${key}`, e[key] as number);
  }
  return out;
}

export function evaluationCsv(evaluations: Evaluation[]): string {
  // A byte-order mark so spreadsheet programs read the Chinese headings as UTF-8.
  return '\ufeff' + stringify(lines(evaluations));
}

export async function evaluationXlsx(evaluations: Evaluation[]): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = '政务数据审批系统';
  const sheet = book.addWorksheet('部门评估');
  const [head, ...rows] = lines(evaluations);
  sheet.addRow(head).font = { bold: true };
  for (const r of rows) sheet.addRow(r.map((v, i) => (i === 5 && v !== '' ? Number(v) : v)));
  sheet.columns.forEach((c, i) => (c.width = [12, 10, 24, 22, 40, 10][i]));
  return Buffer.from(await book.xlsx.writeBuffer());
}
