import { TurnBatchedDestination } from './turn-batched-destination';

describe('TurnBatchedDestination', () => {
  const writes: string[] = [];
  let exit = () => {};
  const destination = new TurnBatchedDestination({ write: (chunk: string) => writes.push(chunk) }, (listener) => (exit = listener));
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => (writes.length = 0));

  it('writes the lines of one turn with one write, before the next turn', async () => {
    destination.write('{"a":1}\n');
    destination.write('{"a":2}\n');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['{"a":1}\n{"a":2}\n']);
  });

  it('starts a new write for the lines of a later turn', async () => {
    destination.write('{"a":1}\n');
    await nextTurn();
    destination.write('{"a":2}\n');
    await nextTurn();
    expect(writes).toEqual(['{"a":1}\n', '{"a":2}\n']);
  });

  it('writes what is pending when the process exits, and every later line at once', () => {
    destination.write('{"a":1}\n');
    exit();
    destination.write('{"shutdown":"complete"}\n');
    expect(writes).toEqual(['{"a":1}\n', '{"shutdown":"complete"}\n']);
  });
});
