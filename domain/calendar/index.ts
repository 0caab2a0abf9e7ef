export type { CalendarPolicy, CalendarYear, DayKind, DeadlineResult, IsoDate, NamedDay, YearStatus } from './types';
export { isIsoDate } from './types';
export { WorkingCalendar, shanghaiDate, startOfShanghaiDay } from './working-calendar';
export {
  MAX_SUPPORTED_YEAR,
  MIN_SUPPORTED_YEAR,
  PROVISIONAL_SOURCE,
  deriveProvisionalYear,
} from './statutory-holidays';
export {
  CHINESE_WORKDAY_KNOWN_ISSUES,
  CHINESE_WORKDAY_SOURCE,
  CHINESE_WORKDAY_VERSION,
  chineseWorkdayCoveredYears,
  chineseWorkdayYears,
} from './chinese-workday-source';
export type { ChineseWorkdayIssue } from './chinese-workday-source';
export { MAX_HOLIDAY_RANGE_DAYS, validateSchedule } from './validate-schedule';
export type { ScheduleError, ScheduleErrorCode, ScheduleInput, ScheduleValidationResult } from './validate-schedule';
