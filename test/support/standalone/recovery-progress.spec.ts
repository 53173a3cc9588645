import { ProgressSince } from './recovery-progress';

const at = (invoices: number, announced: number, pending = 10) => ({ invoices, announced, pending });

describe('ProgressSince', () => {
  it('moves on once both invoicing and announcing grew', () => {
    const progress = new ProgressSince(at(100, 90), 1_000);
    expect(progress.movedOn(at(100, 90))).toBe(false);
    expect(progress.movedOn(at(120, 90))).toBe(false);
    expect(progress.movedOn(at(130, 95))).toBe(true);
  });

  it('counts an empty outbox and every order invoiced as done', () => {
    expect(new ProgressSince(at(100, 90), 1_000).movedOn(at(101, 90, 0))).toBe(true);
    expect(new ProgressSince(at(1_000, 990), 1_000).movedOn(at(1_000, 995))).toBe(true);
  });

  it('measures growth from where a database restore moved the counts back to', () => {
    const progress = new ProgressSince(at(500, 480), 1_000);
    expect(progress.movedOn(at(300, 280))).toBe(false);
    expect(progress.movedOn(at(320, 290))).toBe(true);
  });
});
