/**
 * Import benchmark (part of `deno task bench`): generates an mbox of
 * BENCH_IMPORT_MESSAGES messages (default 100,000; sizes 1–12 KB, a fifth multipart),
 * starts a server, imports the file through `postern import mbox` (the server reads
 * and stores it), and reports messages/s and the server's peak resident memory
 * (VmHWM of the whole process: supervisor and every worker).
 *
 * Targets (account store issue): at least 1,000 messages/s on 2 cores; peak RSS under
 * 250 MB regardless of mailbox size.
 */

import { controlRequest } from "../../workers/supervisor/control.ts";
import { eventually, minimalServeYaml, repoRoot, ServerProcess } from "../_harness.ts";

const count = Number(Deno.env.get("BENCH_IMPORT_MESSAGES") ?? "100000");
const encoder = new TextEncoder();
// deno-lint-ignore no-console -- printing the figures is the point
const say = (line: string) => console.log(line);

function message(i: number): string {
  const size = 1000 + (i * 7919) % 11000;
  const line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n";
  const body = line.repeat(Math.ceil(size / line.length));
  const head = `From: Sender ${i % 97} <s${i % 97}@example.net>\nTo: bench@example.org\n` +
    `Subject: Message ${i}\nMessage-ID: <${i}@bench.test>\nDate: Sat, 21 Nov 2026 10:00:00 +0000\n`;
  if (i % 5 !== 0) return head + `Status: ${i % 2 ? "RO" : "O"}\n\n` + body;
  return head + `MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b${i}\n\n` +
    `--b${i}\nContent-Type: text/plain\n\n${body}\n--b${i}\nContent-Type: application/octet-stream\n` +
    `Content-Transfer-Encoding: base64\n\n${
      "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n".repeat(20)
    }--b${i}--\n`;
}

async function vm(pid: number): Promise<{ hwm: number; rss: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return { hwm: kb("VmHWM") / 1024, rss: kb("VmRSS") / 1024 };
}

const dir = await Deno.makeTempDir({ prefix: "postern-bench-import-" });
try {
  const mbox = `${dir}/bench.mbox`;
  {
    const started = performance.now();
    using file = await Deno.open(mbox, { write: true, create: true });
    let chunk = "";
    for (let i = 0; i < count; i++) {
      chunk += `From sender@example.net Sat Nov 21 10:00:00 2026\n${message(i)}\n`;
      if (chunk.length > 4 << 20) {
        await file.write(encoder.encode(chunk));
        chunk = "";
      }
    }
    await file.write(encoder.encode(chunk));
    const size = (await Deno.stat(mbox)).size;
    say(
      `generated ${count} messages, ${(size / 1e6).toFixed(0)} MB, in ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`,
    );
  }
  await Deno.writeTextFile(
    `${dir}/postern.yaml`,
    minimalServeYaml.replace("level: error", "level: warn"),
  );
  await Deno.writeTextFile(
    `${dir}/domains.yaml`,
    "domains:\n  example.org: {}\naccounts:\n  bench:\n    addresses: [bench@example.org]\n",
  );
  await using server = new ServerProcess(`${dir}/postern.yaml`);
  let pid = 0;
  await eventually("the server", async () => {
    const status = await controlRequest(`${dir}/data/control.sock`, "status");
    return status.ok === true;
  });
  // The server process is the deno child of ServerProcess: find it by its config path.
  const ps = await new Deno.Command("pgrep", { args: ["-f", `serve --config ${dir}/postern.yaml`] })
    .output();
  pid = Number(new TextDecoder().decode(ps.stdout).trim().split("\n")[0]);
  const before = await vm(pid);

  const started = performance.now();
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "main.ts",
      "import",
      "mbox",
      "--config",
      `${dir}/postern.yaml`,
      "bench",
      "Inbox",
      mbox,
    ],
    cwd: repoRoot,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  const after = await vm(pid);
  const summary = new TextDecoder().decode(r.stdout).trim();
  if (r.code !== 0) throw new Error(`import failed: ${summary}`);
  const status = await controlRequest(`${dir}/data/control.sock`, "status");
  say(summary);
  say(`${"import messages/s (target >= 1000)".padEnd(44)} ${(count / seconds).toFixed(0)}`);
  say(`${"server RSS before import, MB".padEnd(44)} ${before.rss.toFixed(0)}`);
  say(`${"server peak RSS (VmHWM), MB (target < 250)".padEnd(44)} ${after.hwm.toFixed(0)}`);
  say(`${"server RSS after import, MB".padEnd(44)} ${after.rss.toFixed(0)}`);
  say(`${"connections open after".padEnd(44)} ${status.connections}`);
  await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "stop", "--config", `${dir}/postern.yaml`],
    cwd: repoRoot,
  }).output();
  await server.exited();
} finally {
  await Deno.remove(dir, { recursive: true });
}
