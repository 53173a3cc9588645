import { CronTime } from 'cron';
import { longestGapSeconds } from './retention.scheduler';

describe('longestGapSeconds', () => {
  it('is the longest wait between two scheduled purges', () => {
    expect(longestGapSeconds(new CronTime('0 3 * * *', 'UTC'))).toBe(86_400);
    expect(longestGapSeconds(new CronTime('*/5 * * * *', 'UTC'))).toBe(300);
    // Weekdays only: Friday 03:00 to Monday 03:00.
    expect(longestGapSeconds(new CronTime('0 3 * * 1-5', 'UTC'))).toBe(3 * 86_400);
  });
});
