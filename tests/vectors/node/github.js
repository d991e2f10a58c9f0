// Writes ../github.json with GitHub's own library, @octokit/webhooks-methods (`sign`), and
// checks every case with its `verify`. Run from this folder after `npm ci`: node github.js
// The legacy sha1 X-Hub-Signature cases are not in that library (it signs sha256 only): they
// come from `openssl dgst -sha1 -hmac` in ../make_openssl_vectors.sh.
import { writeFileSync } from "node:fs";
import { sign, verify } from "@octokit/webhooks-methods";

const bodies = [
  ["push, compact JSON", "push", '{"ref":"refs/heads/main","after":"6113728f27ae82c7b1a177c8d03f9e96e0adf246"}'],
  ["issues opened, spaced JSON with a newline", "issues", '{"action": "opened", "issue": {"number": 1347}}\n'],
  ["ping, non-ASCII text", "ping", '{"zen":"Keep it logically awesome. Grüße ✓","hook_id":42}'],
  ["empty object", "ping", "{}"],
];
const secrets = ["It's a Secret to Everybody", "another github webhook secret"];

const cases = [];
for (const [n, [name, event, body]] of bodies.entries()) {
  const secret = secrets[n % 2];
  const signature = await sign(secret, body);
  if (!(await verify(secret, body, signature))) throw new Error(`${name}: verify failed`);
  cases.push({
    name,
    secret,
    now: 1700000000,
    body_b64: Buffer.from(body, "utf8").toString("base64"),
    headers: [
      ["X-GitHub-Event", event],
      ["X-GitHub-Delivery", `72d3162e-cc78-11e3-81ab-4c9367dc095${n}`],
      ["X-Hub-Signature-256", signature],
    ],
  });
}
writeFileSync(new URL("../github.json", import.meta.url), JSON.stringify(cases, null, 2) + "\n");
