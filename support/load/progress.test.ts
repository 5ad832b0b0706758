import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Progress, formatRemaining } from './progress';

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, columns: 40, write: (text: string) => written.push(text) > 0 } };
}

describe('progress line', () => {
  it('shows on a terminal, redraws in place, and clears when done', () => {
    const { written, stream: tty } = stream(true);
    const progress = new Progress(tty, Progress.wanted(tty, {}));
    progress.update('spike 1 · 0:07 left', true);
    progress.update('too soon: throttled');
    progress.done();
    assert.deepEqual(written, ['\r\x1b[Kspike 1 · 0:07 left', '\r\x1b[K']);
  });

  it('stays quiet in CI and without a TTY', () => {
    assert.equal(Progress.wanted({ isTTY: true, write: () => true }, { CI: 'true' }), false);
    assert.equal(Progress.wanted({ isTTY: false, write: () => true }, {}), false);
    assert.equal(Progress.wanted({ isTTY: true, write: () => true }, { CI: 'false' }), true);
    const { written, stream: pipe } = stream(false);
    const progress = new Progress(pipe, Progress.wanted(pipe, {}));
    progress.update('anything', true);
    progress.done();
    assert.deepEqual(written, []);
  });

  it('fits the line to the terminal and formats time left', () => {
    const { written, stream: tty } = stream(true);
    new Progress(tty, true).update('x'.repeat(100), true);
    assert.equal(written[0]!.length, '\r\x1b[K'.length + 39);
    assert.equal(formatRemaining(65_000), '1:05');
    assert.equal(formatRemaining(-5), '0:00');
  });
});
