// README code blocks as tests: every ```ts / ```js block of a README is type-checked and run, unless its
// info string marks it otherwise. The marks (the words after the language):
//   ```ts                      type-checked and run, each block in its own module and an empty directory
//   ```ts no-run               type-checked only: running it needs what a test cannot have (a trained run, a dataset)
//   ```ts fragment             neither: an excerpt that leans on names defined elsewhere in the text
//   ```ts file=examples/x.ts   the block is that file, word for word; the package's own tests run the file
// Anything else after the language is an error, so a block cannot opt out by accident.
import { readFileSync } from 'node:fs';

const LANGS = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);
export const MODES = ['run', 'no-run', 'fragment', 'file'];

/**
 * The code blocks of a Markdown text in order: `{ index, line, lang, mode, file?, code }`. Blocks in other
 * languages (sh, text, ...) are returned with `mode: 'other'` and never checked.
 */
export function extractBlocks(markdown, source = 'README.md') {
  const lines = markdown.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const [lang = '', ...marks] = info.trim().split(/\s+/).filter(Boolean);
    const close = new RegExp(`^\\s*\\${fence[0]}{${fence.length},}\\s*$`);
    const body = [];
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j])) body.push(lines[j++].slice(indent.length));
    if (j === lines.length) throw new Error(`${source}:${i + 1}: code block is never closed`);
    const block = { index: blocks.length, line: i + 1, lang: lang.toLowerCase(), code: body.join('\n') + '\n', mode: 'other' };
    if (LANGS.has(block.lang)) {
      block.mode = 'run';
      for (const mark of marks) {
        if (mark === 'no-run' || mark === 'fragment') block.mode = mark;
        else if (mark.startsWith('file=')) {
          block.mode = 'file';
          block.file = mark.slice('file='.length);
        } else
          throw new Error(
            `${source}:${i + 1}: unknown mark "${mark}" on a ${lang} block; use no-run, fragment or file=<path> (or none: the block runs)`,
          );
      }
    }
    blocks.push(block);
    i = j;
  }
  return blocks;
}

export function readBlocks(readmePath) {
  return extractBlocks(readFileSync(readmePath, 'utf8'), readmePath);
}
