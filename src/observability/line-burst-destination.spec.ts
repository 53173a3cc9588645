import { LineBurstDestination } from './line-burst-destination';

describe('LineBurstDestination', () => {
  const writes: string[] = [];
  let exit = () => {};
  const destination = new LineBurstDestination({ write: (chunk: string) => writes.push(chunk) }, (listener) => (exit = listener));
  const continuation = () => Promise.resolve();

  beforeEach(() => (writes.length = 0));

  it('writes the lines of one burst with one write, before the continuation the logging code goes on to', async () => {
    destination.write('{"a":1}\n');
    destination.write('{"a":2}\n');
    expect(writes).toEqual([]);
    await continuation();
    expect(writes).toEqual(['{"a":1}\n{"a":2}\n']);
  });

  it('starts a new write for the lines of a later burst', async () => {
    destination.write('{"a":1}\n');
    await continuation();
    destination.write('{"a":2}\n');
    await continuation();
    expect(writes).toEqual(['{"a":1}\n', '{"a":2}\n']);
  });

  it('writes what is pending when the process exits, and every later line at once', () => {
    destination.write('{"a":1}\n');
    exit();
    destination.write('{"shutdown":"complete"}\n');
    expect(writes).toEqual(['{"a":1}\n', '{"shutdown":"complete"}\n']);
  });
});
