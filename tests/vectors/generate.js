#!/usr/bin/env node
// Test vectors for Kardow signatures and Kudoz tokens (spec: docs/protocols.md).
//
// Run from the repository root:   node tests/vectors/generate.js
// It (re)writes tests/vectors/kardow.json and tests/vectors/kudoz.json.
//
// This script is deliberately independent of the Python code under app/: it uses only
// Node's built-in `crypto`, `fs` and `path`, so the Python tests check the app against a
// second implementation. Inputs are fixed (no randomness, no clock): the output is
// byte-identical on every run. The Python tests must only read the JSON, never this script.

'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const utf8 = (s) => Buffer.from(s, 'utf8');
const b64 = (buf) => buf.toString('base64');
const sha256Hex = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
const hmac = (key, buf) => crypto.createHmac('sha256', utf8(key)).update(buf);

function check(cond, msg) {
  if (!cond) throw new Error('generate.js: ' + msg);
}

// ---------------------------------------------------------------- Kardow

// The documented delivery example, exactly as one line.
const DOC_BODY =
  '{"event": "job.created", "organization_id": 42, "timestamp": "2025-07-19T12:00:00.000Z", ' +
  '"data": {"job_id": "abc-123", "title": "Senior Engineer", "company_name": "Acme Inc", ' +
  '"status": "active", "location": "Remote"}}';
const DOC_OBJ = JSON.parse(DOC_BODY);
const REORDERED_OBJ = {
  data: { location: 'Remote', status: 'active', company_name: 'Acme Inc', title: 'Senior Engineer', job_id: 'abc-123' },
  timestamp: '2025-07-19T12:00:00.000Z',
  organization_id: 42,
  event: 'job.created',
};

// Exactly 100 KiB (102400 bytes) of JSON, built from a fixed repeating pattern.
function bigBody() {
  const head = '{"event": "job.updated", "organization_id": 42, "data": {"job_id": "big-1", "description": "';
  const tail = '"}}';
  const pattern = 'Lorem ipsum dolor sit amet 0123456789. ';
  let filler = '';
  while (head.length + filler.length + tail.length < 102400) filler += pattern;
  filler = filler.slice(0, 102400 - head.length - tail.length);
  return utf8(head + filler + tail);
}

const SECRET_A = 'kardow-test-secret-alpha';                    // 24 chars
const SECRET_B = 'kardow-test-secret-bravo-2025';               // 29 chars
const SECRET_16 = 'Sixteen-chars-ok';                           // exactly 16
const SECRET_64 = 'k4rd0w-sixty-four-character-secret-0123456789-abcdefghijklmnopqr'; // exactly 64
const SECRET_UTF8 = 'clé-secrète-✓-🔑-kardow';                  // non-ASCII, keyed as UTF-8 bytes
check(SECRET_16.length === 16, 'SECRET_16 must be 16 chars');
check(SECRET_64.length === 64, 'SECRET_64 must be 64 chars');

const kardowCases = [
  ['documented example body, exactly as written (one line)', SECRET_A, utf8(DOC_BODY)],
  ['documented example object, compact (JSON.stringify)', SECRET_A, utf8(JSON.stringify(DOC_OBJ))],
  ['documented example object, pretty-printed 2-space indent', SECRET_A, utf8(JSON.stringify(DOC_OBJ, null, 2))],
  ['documented example object, keys in another order', SECRET_A, utf8(JSON.stringify(REORDERED_OBJ))],
  ['non-ASCII body (é, ✓, emoji) as UTF-8', SECRET_B, utf8(JSON.stringify({
    event: 'job.updated', organization_id: 7, timestamp: '2025-07-19T12:30:00.000Z',
    data: { job_id: 'déf-456', title: 'Ingénieur ✓ 🚀', company_name: 'Café Crème', status: 'active', location: 'Zürich' },
  }))],
  ['empty body', SECRET_B, Buffer.alloc(0)],
  ['compact body with a trailing newline', SECRET_B, utf8(JSON.stringify(DOC_OBJ) + '\n')],
  ['100 KiB body (102400 bytes)', SECRET_A, bigBody()],
  ['binary body, bytes 0..255', SECRET_B, Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
  ['non-ASCII secret (UTF-8 key bytes)', SECRET_UTF8, utf8(DOC_BODY)],
  ['16-character secret (minimum length)', SECRET_16, utf8(DOC_BODY)],
  ['64-character secret', SECRET_64, utf8(DOC_BODY)],
].map(([name, secret, body]) => ({
  name,
  secret,
  body_b64: b64(body),
  signature: hmac(secret, body).digest('hex'),
}));

// ---------------------------------------------------------------- Kudoz

const T_DEFAULT = '{api_key}:{uuid}:{timestamp}';
const T_CONCAT = '{api_key}{uuid}{timestamp}';
const T_BODY = '{method}\n{path}\n{api_key}\n{uuid}\n{timestamp}\n{body}';
const T_BODY_SHA = '{method}\n{path}\n{api_key}\n{uuid}\n{timestamp}\n{body_sha256}';
const T_CUSTOM = '{timestamp}.{uuid}.{body_sha256}';

// Substitute placeholders in one left-to-right pass (substituted values are never re-scanned).
// Works on bytes because {body} is the raw body, which need not be valid UTF-8.
function signedBytes(template, v) {
  const values = {
    api_key: utf8(v.api_key), uuid: utf8(v.uuid), timestamp: utf8(v.timestamp),
    method: utf8(v.method), path: utf8(v.path), body: v.body, body_sha256: utf8(sha256Hex(v.body)),
  };
  const parts = [];
  let last = 0;
  for (const m of template.matchAll(/\{(api_key|uuid|timestamp|method|path|body_sha256|body)\}/g)) {
    parts.push(utf8(template.slice(last, m.index)), values[m[1]]);
    last = m.index + m[0].length;
  }
  parts.push(utf8(template.slice(last)));
  return Buffer.concat(parts);
}

function jobApplication(id, applicationId, candidate, cover) {
  return {
    id, kind: 'job_application',
    data: {
      job_reference: 'JOB-2025-0042',
      recruiter_email: 'recruiter@example.com',
      job_application_id: applicationId,
      cover_message: cover,
      candidate,
    },
  };
}

const BODY_ASCII = utf8(JSON.stringify(jobApplication('7d0c2b1e-3f4a-4c5d-8e9f-0a1b2c3d4e5f', 1001, {
  id: 'c-0001', email: 'jane.doe@example.com', headline: 'Backend developer',
  first_name: 'Jane', last_name: 'Doe', location: 'Berlin, Germany',
  pictures: ['https://example.com/pictures/jane.jpg'], birthday: '1990-04-12',
  summary: 'Ten years of Python and Go.', phone_number: '+49 30 1234567',
  social_profiles: { linkedin: 'https://www.linkedin.com/in/jane-doe-example' },
  resume: 'https://example.com/resumes/jane-doe.pdf',
}, 'I would love to join the team.')));

const BODY_UTF8 = utf8(JSON.stringify(jobApplication('0f9e8d7c-6b5a-4f3e-9d2c-1b0a9f8e7d6c', 1002, {
  id: 'c-0002', email: 'zoe.lukasiewicz@example.com', headline: 'Ingénieure données ✓',
  first_name: 'Zoë', last_name: 'Łukasiewicz', location: 'Kraków, Polska',
  pictures: [], birthday: '1994-11-03',
  summary: 'Données, café et 🚀.', phone_number: '+48 12 345 67 89',
  social_profiles: { linkedin: 'https://www.linkedin.com/in/zoe-example' },
  resume: 'https://example.com/resumes/zo%C3%AB.pdf',
}, 'Très motivée — merci ! 🙂')));

const EMPTY = Buffer.alloc(0);

const KEY_A = { api_key: 'kdz_live_key_A1', api_secret: 'kdz-secret-alpha-0123456789' };
const KEY_B = { api_key: 'kdz_test_key_B2', api_secret: 'kdz-secret-bravo-abcdefghij' };
const KEY_C = { api_key: 'kdz_key_C3', api_secret: 'another-secret-charlie' };

const SECONDS = '1752926400';       // 2025-07-19T12:00:00Z, 10 digits
const MILLIS = '1752926400123';     // same instant + 123 ms, 13 digits

const kudozInputs = [
  ['default template, seconds, job_application body', T_DEFAULT, KEY_A,
    '3b241101-e2bb-4255-8caf-4136c566a962', SECONDS, 'POST', '/callbacks/kudoz', BODY_ASCII],
  ['default template, milliseconds, non-ASCII body', T_DEFAULT, KEY_B,
    'a8098c1a-f86e-41d3-9c8f-9e7b6d5c4b3a', MILLIS, 'POST', '/callbacks/kudoz', BODY_UTF8],
  ['concatenated template, seconds, job_application body', T_CONCAT, KEY_A,
    '6fa459ea-ee8a-4ca4-894e-db77e160355e', SECONDS, 'POST', '/callbacks/kudoz', BODY_ASCII],
  ['concatenated template, milliseconds, empty body', T_CONCAT, KEY_C,
    '16fd2706-8baf-433b-82eb-8c7fada847da', MILLIS, 'POST', '/callbacks/kudoz', EMPTY],
  ['method/path/body template, seconds, job_application body', T_BODY, KEY_A,
    '886313e1-3b8a-4372-9b90-0c9aee199e5d', SECONDS, 'POST', '/callbacks/kudoz', BODY_ASCII],
  ['method/path/body template, milliseconds, non-ASCII body', T_BODY, KEY_B,
    'c9bf9e57-1685-4c89-bafb-ff5af830be8a', MILLIS, 'POST', '/hooks/kudoz/inbound', BODY_UTF8],
  ['method/path/body template, seconds, empty body', T_BODY, KEY_C,
    'e4eaaaf2-d142-41a8-9c3e-7f2a1b0c9d8e', SECONDS, 'POST', '/callbacks/kudoz', EMPTY],
  ['method/path/body_sha256 template, seconds, job_application body', T_BODY_SHA, KEY_A,
    'f47ac10b-58cc-4372-a567-0e02b2c3d479', SECONDS, 'POST', '/callbacks/kudoz', BODY_ASCII],
  ['method/path/body_sha256 template, milliseconds, non-ASCII body', T_BODY_SHA, KEY_B,
    '2c1d4e6f-8a9b-4c0d-9e1f-3a5b7c9d1e2f', MILLIS, 'POST', '/hooks/kudoz/inbound', BODY_UTF8],
  ['method/path/body_sha256 template, milliseconds, empty body', T_BODY_SHA, KEY_C,
    '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d', MILLIS, 'POST', '/callbacks/kudoz', EMPTY],
  ['custom template {timestamp}.{uuid}.{body_sha256}, seconds, job_application body', T_CUSTOM, KEY_A,
    '9b2e4d6f-1a3c-4e5a-b7c9-d1e3f5a7b9c1', SECONDS, 'POST', '/callbacks/kudoz', BODY_ASCII],
];

const kudozCases = kudozInputs.map(([name, template, key, uuid, timestamp, method, reqPath, body]) => {
  const signed = signedBytes(template, { ...key, uuid, timestamp, method, path: reqPath, body });
  const token = hmac(key.api_secret, signed).digest('base64');
  check(!signed.includes('{api_key}') && !utf8(template).equals(signed), 'template not substituted: ' + name);
  return {
    name,
    api_key: key.api_key,
    api_secret: key.api_secret,
    uuid,
    timestamp,
    method,
    path: reqPath,
    body_b64: b64(body),
    template,
    signed_b64: b64(signed),
    token,
    authorization: `TOKEN ${key.api_key}:${uuid}:${timestamp}:${token}`,
  };
});

// ---------------------------------------------------------------- write

const outDir = __dirname;
const write = (file, data) =>
  fs.writeFileSync(path.join(outDir, file), JSON.stringify(data, null, 2) + '\n', 'utf8');
write('kardow.json', kardowCases);
write('kudoz.json', kudozCases);
console.log(`wrote ${kardowCases.length} Kardow and ${kudozCases.length} Kudoz vectors to ${outDir}`);
