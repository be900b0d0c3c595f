#!/usr/bin/env node
// Runs the TypeScript CLI in-process through tsx, so signals reach it directly.
import { require as tsxRequire } from 'tsx/cjs/api';

const { main } = tsxRequire('../src/cli.ts', import.meta.url);
main(process.argv.slice(2)).then(
  code => process.exit(code),
  error => {
    process.stderr.write(
      `homelab-infra: ${error instanceof Error ? error.message : error}\n`,
    );
    process.exit(1);
  },
);
