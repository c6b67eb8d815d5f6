import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without types
import { extractBlocks } from './blocks.mjs';

const fence = '```';
const md = (...lines: string[]) => lines.join('\n');

describe('extractBlocks', () => {
  it('reads each block with its language, mode, first line and code', () => {
    const blocks = extractBlocks(
      md(
        '# title',
        `${fence}sh`,
        'npm install x',
        fence,
        `${fence}ts`,
        "import { a } from 'x';",
        'a();',
        fence,
        `${fence}ts no-run`,
        'b();',
        fence,
        `${fence}typescript fragment`,
        'c(...);',
        fence,
        `${fence}ts file=examples/d.ts`,
        'd();',
        fence,
        '  ````js',
        '  const e = 1;',
        '  ```',
        '  still inside: a shorter fence does not close a longer one',
        '  ````',
      ),
    );
    expect(blocks.map((b: { lang: string; mode: string; line: number }) => [b.lang, b.mode, b.line])).toEqual([
      ['sh', 'other', 2],
      ['ts', 'run', 5],
      ['ts', 'no-run', 9],
      ['typescript', 'fragment', 12],
      ['ts', 'file', 15],
      ['js', 'run', 18],
    ]);
    expect(blocks[1].code).toBe("import { a } from 'x';\na();\n");
    expect(blocks[4].file).toBe('examples/d.ts');
    expect(blocks[5].code).toBe('const e = 1;\n```\nstill inside: a shorter fence does not close a longer one\n');
  });

  it('refuses an unknown mark, so a block cannot leave the tests by a typo', () => {
    expect(() => extractBlocks(md(`${fence}ts no_run`, 'x();', fence), 'X.md')).toThrow(
      /X\.md:1: unknown mark "no_run" on a ts block; use no-run, fragment or file=<path>/,
    );
  });

  it('refuses a block that is never closed', () => {
    expect(() => extractBlocks(md('text', `${fence}ts`, 'x();'), 'Y.md')).toThrow(/Y\.md:2: code block is never closed/);
  });
});
