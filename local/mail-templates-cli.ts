/**
 * `npm run --silent mail-templates -- <folder>`: writes the built-in mail templates into <folder>
 * (en/ and zh/, each with subject.txt, body.txt and body.html), as a start for your own. Point
 * MAIL_TEMPLATES_DIR (or the stack's mailTemplatesDir) at the folder once edited. Refuses to
 * overwrite a file that is already there. Exit codes: 0 done, 1 failed, 2 usage.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TEMPLATE_FILES } from '../src/adapters/mail-template-folder.js';
import { BUILT_IN_TEMPLATES, MAIL_LANGS, TEMPLATE_PARTS } from '../src/domain/mail-composition.js';

function main(argv: readonly string[]): number {
  if (argv.length !== 1 || argv[0]!.startsWith('-')) {
    process.stderr.write('usage: npm run --silent mail-templates -- <folder>\n');
    return 2;
  }
  // npm runs scripts in the package folder; a relative folder means the one the command was typed in.
  const folder = path.resolve(process.env.INIT_CWD ?? process.cwd(), argv[0]!);
  const files = MAIL_LANGS.flatMap((lang) =>
    TEMPLATE_PARTS.map((part) => ({ file: path.join(folder, lang, TEMPLATE_FILES[part]), content: BUILT_IN_TEMPLATES[lang][part] })),
  );
  const existing = files.filter(({ file }) => existsSync(file));
  if (existing.length > 0) {
    process.stderr.write(`error: not overwriting ${existing.map(({ file }) => path.relative(process.cwd(), file)).join(', ')}\n`);
    return 1;
  }
  for (const { file, content } of files) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content.endsWith('\n') ? content : `${content}\n`);
  }
  process.stderr.write(`wrote the built-in templates to ${folder}; use them with MAIL_TEMPLATES_DIR=${folder}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
