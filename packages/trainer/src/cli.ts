#!/usr/bin/env node
import { runCli } from './cli/program';

// The `hop` executable (tsup adds the shebang). Exit explicitly: tfjs keeps handles open.
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
