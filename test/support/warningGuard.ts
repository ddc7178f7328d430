// A mocha root hook (loaded by .mocharc.json): a test that makes lars-ts print
// a warning through the default sink (console.warn with a `lars-ts:` prefix)
// fails. A test that expects a warning passes `onWarning` and checks it, so
// an unexpected one (a backend falling back, a lost worker thread, a schedule
// that cannot do what the options ask) cannot slip by in the output.

/** What the guard saw during the current test. */
const seen: string[] = [];
let original: typeof console.warn | null = null;

/** The root hooks mocha picks up from this module. */
export const mochaHooks = {
  beforeEach(): void {
    seen.length = 0;
    original = console.warn;
    const pass = original;
    console.warn = (...args: unknown[]): void => {
      if (typeof args[0] === 'string' && args[0].startsWith('lars-ts:')) seen.push(args[0]);
      else pass(...args);
    };
  },
  afterEach(): void {
    if (original !== null) console.warn = original;
    original = null;
    if (seen.length > 0) {
      const list = seen.splice(0).map((m) => `  ${m}`).join('\n');
      throw new Error(`unexpected lars-ts warning(s); pass onWarning and check them if the test expects them:\n${list}`);
    }
  },
};
