import { suites } from './suites.js';

// `npm run bench`: runs every suite, or only those named on the command line.
const only = process.argv.slice(2);
for (const suite of suites) {
  if (only.length > 0 && !only.includes(suite.name)) continue;
  console.log(`\n## ${suite.name}\n`);
  await suite.run();
}
