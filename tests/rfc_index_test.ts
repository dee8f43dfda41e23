/**
 * docs/rfc.md lists every RFC the code cites (STYLE.md §15): a citation of an RFC
 * missing from the index fails here, naming the file.
 */

import assert from "node:assert/strict";
import { repoRoot } from "./_harness.ts";

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && !entry.name.startsWith(".")) yield* sourceFiles(path);
    else if (entry.isFile && entry.name.endsWith(".ts")) yield path;
  }
}

Deno.test("docs/rfc.md lists every RFC cited in the code", async () => {
  const index = await Deno.readTextFile(`${repoRoot}/docs/rfc.md`);
  const listed = new Set([...index.matchAll(/^\| (\d{3,5}) +\|/gm)].map((m) => m[1]));
  assert.ok(listed.size > 0, "docs/rfc.md has a table of RFCs");
  const missing: string[] = [];
  for (const dir of ["core", "workers", "tests"]) {
    for await (const file of sourceFiles(`${repoRoot}/${dir}`)) {
      const text = await Deno.readTextFile(file);
      for (const [, n] of text.matchAll(/\bRFC (\d{3,5})\b/g)) {
        if (!listed.has(n)) missing.push(`${file.slice(repoRoot.length + 1)}: RFC ${n}`);
      }
    }
  }
  assert.deepEqual([...new Set(missing)], [], "cited in code but missing from docs/rfc.md");
});
