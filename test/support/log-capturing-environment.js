// Passing tests print nothing but their names: the apps under test log into a buffer on the test's global
// (see captured-logs.ts), and only a failing test (or hook) prints what its apps logged.
const { TestEnvironment } = require('jest-environment-node');

class LogCapturingEnvironment extends TestEnvironment {
  handleTestEvent(event) {
    if (event.name === 'test_start') this.global.__capturedLogs = [];
    const failed = (event.name === 'test_done' && event.test.errors.length > 0) || event.name === 'hook_failure';
    const lines = this.global.__capturedLogs ?? [];
    if (failed && lines.length > 0) {
      const name = event.test?.name ?? event.hook?.type ?? 'hook';
      process.stderr.write(`\n--- logs captured during "${name}" (${lines.length} lines) ---\n${lines.join('')}--- end of captured logs ---\n`);
    }
  }
}

module.exports = LogCapturingEnvironment;
