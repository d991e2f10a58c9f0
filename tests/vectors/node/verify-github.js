// Reads [{secret, body_b64, signature}, ...] on stdin and prints, as JSON, whether GitHub's own
// library (@octokit/webhooks-methods `verify`) accepts each: the tests check what Hookscope signs.
import { verify } from "@octokit/webhooks-methods";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const item of JSON.parse(input)) {
  const body = Buffer.from(item.body_b64, "base64").toString("utf8");
  results.push(await verify(item.secret, body, item.signature));
}
process.stdout.write(JSON.stringify(results) + "\n");
