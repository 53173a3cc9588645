import { randomUUID } from 'node:crypto';
import { InvalidRequestError } from '../common/errors';
import { decodeCursor, encodeCursor } from './invoice-cursor';

describe('invoice cursor', () => {
  it('round-trips a position', () => {
    const position = { insertXid: '9007199254740993', id: randomUUID() };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each([
    ['not base64 JSON', 'abc'],
    ['an object', Buffer.from('{"a":1}').toString('base64url')],
    ['a non-numeric xid', Buffer.from(JSON.stringify(['1; DROP', randomUUID()])).toString('base64url')],
    ['a bad id', Buffer.from(JSON.stringify(['12', 'x'])).toString('base64url')],
  ])('rejects %s', (_label, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(InvalidRequestError);
  });
});
