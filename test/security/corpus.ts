/**
 * Hostile requests, each with the answer it must get: status, error code and
 * (where one is to blame) the field. Used by hostileInput.test.ts, which also
 * checks that none of them changes either store.
 */
import type { Caller } from '../../examples/story-site/test/api/harness.js';

export interface HostileCase {
  name: string;
  caller: Caller | 'ghostEditor' | 'ghostReader';
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (application/json unless contentType says otherwise). */
  raw?: string | Buffer;
  contentType?: string;
  status: number;
  code: string;
  field?: string;
  /** Text the answer must not contain (database messages, paths). */
  notInAnswer?: RegExp;
}

const story = { set_id: 1, set_index: 1, course_id: 1 };
const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });
const LONE = 'x\ud800y';
const INJECTION = "'; DROP TABLE story; --";

/** Convex cannot store these (the mapping's rules), so the API refuses them before Postgres. */
const convexLimits: HostileCase[] = [
  { name: 'json array of 8,193 elements', caller: 'editor', method: 'PUT', url: '/api/stories/1', body: { ...story, json: new Array(8193).fill(0) }, status: 400, code: 'invalid_input', field: 'json' },
  { name: 'json nested 20 deep', caller: 'editor', method: 'PUT', url: '/api/stories/1', body: { ...story, json: nested(20) }, status: 400, code: 'invalid_input', field: 'json' },
  { name: 'json object of 100k keys', caller: 'editor', method: 'PUT', url: '/api/stories/1', body: { ...story, json: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])) }, status: 400, code: 'invalid_input', field: 'json' },
  { name: 'text of 1M two-byte characters (2 MB in Convex)', caller: 'editor', method: 'PUT', url: '/api/stories/1', body: { ...story, text: 'é'.repeat(1_000_000) }, status: 400, code: 'invalid_input', field: 'text' },
  { name: 'text and json together over 1 MiB', caller: 'editor', method: 'PUT', url: '/api/stories/1', body: { ...story, text: 'x'.repeat(600_000), json: { t: 'y'.repeat(600_000) } }, status: 400, code: 'invalid_input', field: 'json' },
  { name: 'json number 1e400 (overflows to Infinity)', caller: 'editor', method: 'PUT', url: '/api/stories/1', raw: '{"set_id":1,"set_index":1,"course_id":1,"json":{"n":1e400}}', status: 400, code: 'invalid_input', field: 'json' },
];

/** A lone surrogate in every kind of text field, on every write route that takes text. */
const surrogates: HostileCase[] = [
  ['PUT', '/api/stories/1', 'editor', { ...story, text: LONE }, 'text'],
  ['PUT', '/api/stories/1', 'editor', { ...story, name: LONE }, 'name'],
  ['PUT', '/api/stories/1', 'editor', { ...story, json: { [LONE]: 1 } }, 'json'],
  ['PUT', '/api/stories/1', 'editor', { ...story, json: [LONE] }, 'json'],
  ['PUT', '/api/stories', 'editor', { ...story, duo_id: LONE }, 'duo_id'],
  ['POST', '/api/courses', 'admin', { learning_language: 1, from_language: 2, about: LONE }, 'about'],
  ['PUT', '/api/courses/1', 'admin', { learning_language: 2, from_language: 1, tags: ['a', LONE] }, 'tags.1'],
  ['POST', '/api/languages', 'admin', { name: LONE, short: 'xx' }, 'name'],
  ['PUT', '/api/languages/1/default-text', 'editor', { default_text: LONE }, 'default_text'],
  ['PUT', '/api/languages/1/tts-replace', 'editor', { tts_replace: LONE }, 'tts_replace'],
  ['PUT', '/api/localizations', 'editor', { language_id: 1, tag: 'hello', text: LONE }, 'text'],
  ['PUT', '/api/avatar-mappings', 'editor', { avatar_id: 1, language_id: 1, name: LONE }, 'name'],
  ['PUT', '/api/images/img1', 'admin', { active: LONE, gilded: 'g', locked: 'l', active_lip: 'a', gilded_lip: 'b' }, 'active'],
  ['POST', '/api/avatars', 'admin', { link: LONE }, 'link'],
  ['POST', '/api/speakers', 'admin', { language_id: 1, speaker: LONE, gender: 'MALE', type: 'NORMAL', service: 'azure' }, 'speaker'],
].map(([method, url, caller, body, field]) => ({
  name: `lone surrogate in ${method} ${url} ${field}`,
  caller: caller as Caller,
  method: method as HostileCase['method'],
  url: url as string,
  body,
  status: 400,
  code: 'invalid_input',
  field: field as string,
}));

const paths: HostileCase[] = [
  { name: 'NUL image id', caller: 'anonymous', method: 'GET', url: '/api/images/%00', status: 400, code: 'invalid_input', field: 'id' },
  { name: 'NUL inside an image id', caller: 'anonymous', method: 'GET', url: '/api/images/a%00b', status: 400, code: 'invalid_input', field: 'id' },
  { name: 'NUL course short', caller: 'anonymous', method: 'GET', url: '/api/courses/%00/stories', status: 400, code: 'invalid_input', field: 'short' },
  { name: 'invalid percent-encoding', caller: 'anonymous', method: 'GET', url: '/api/images/%FF', status: 400, code: 'invalid_input', field: '(path)' },
  { name: 'lone surrogate in a path', caller: 'anonymous', method: 'GET', url: '/api/images/%ED%A0%80', status: 400, code: 'invalid_input', field: '(path)' },
  { name: 'NUL image id on a write', caller: 'admin', method: 'PUT', url: '/api/images/a%00', body: { active: 'a', gilded: 'g', locked: 'l', active_lip: 'a', gilded_lip: 'b' }, status: 400, code: 'invalid_input', field: 'id' },
  { name: 'injection in an image id', caller: 'anonymous', method: 'GET', url: `/api/images/${encodeURIComponent(INJECTION)}`, status: 404, code: 'not_found', field: 'id' },
  { name: 'injection in a course short (longer than any short)', caller: 'anonymous', method: 'GET', url: `/api/courses/${encodeURIComponent(INJECTION)}/stories`, status: 400, code: 'invalid_input', field: 'short' },
  { name: 'injection in a course short', caller: 'anonymous', method: 'GET', url: `/api/courses/${encodeURIComponent("x' OR '1'='1")}/stories`, status: 404, code: 'not_found', field: 'short' },
  { name: 'injection in an integer id', caller: 'anonymous', method: 'GET', url: `/api/stories/1${encodeURIComponent(' OR 1=1')}`, status: 400, code: 'invalid_input', field: 'id' },
];

/** Tokens whose user has no row: a clean 403, never Postgres's text. */
const ghosts: HostileCase[] = [
  { name: 'ghost editor approves', caller: 'ghostEditor', method: 'POST', url: '/api/stories/2/approval', status: 403, code: 'forbidden', notInAnswer: /Key \(|users|violates/ },
  { name: 'ghost editor saves', caller: 'ghostEditor', method: 'PUT', url: '/api/stories/2', body: { ...story, text: 'x' }, status: 403, code: 'forbidden', notInAnswer: /Key \(|users|violates/ },
  { name: 'ghost editor creates', caller: 'ghostEditor', method: 'PUT', url: '/api/stories', body: { ...story, duo_id: 'ghost' }, status: 403, code: 'forbidden', notInAnswer: /Key \(|users|violates/ },
  { name: 'ghost editor imports', caller: 'ghostEditor', method: 'POST', url: '/api/courses/2/import/1', status: 403, code: 'forbidden', notInAnswer: /Key \(|users|violates/ },
  { name: 'ghost reader finishes a story', caller: 'ghostReader', method: 'POST', url: '/api/stories/1/done', status: 403, code: 'forbidden', notInAnswer: /Key \(|1003|violates/ },
  { name: 'taken language short', caller: 'admin', method: 'POST', url: '/api/languages', body: { name: 'Other', short: 'en' }, status: 409, code: 'conflict', notInAnswer: /Key \(|already exists\.|\(en\)/ },
  { name: 'taken course short', caller: 'admin', method: 'POST', url: '/api/courses', body: { learning_language: 2, from_language: 1 }, status: 409, code: 'conflict', notInAnswer: /Key \(|\(es-en\)/ },
];

const bodies: HostileCase[] = [
  { name: 'NUL in text', caller: 'editor', method: 'PUT', url: '/api/stories/1', body: { ...story, text: 'a\u0000b' }, status: 400, code: 'invalid_input', field: 'text' },
  { name: 'NUL in a json string', caller: 'editor', method: 'PUT', url: '/api/stories/1', body: { ...story, json: { a: 'a\u0000b' } }, status: 400, code: 'invalid_input', field: 'json' },
  { name: 'NUL in a json key', caller: 'editor', method: 'PUT', url: '/api/stories/1', body: { ...story, json: { 'a\u0000': 1 } }, status: 400, code: 'invalid_input', field: 'json' },
  { name: '__proto__ key', caller: 'editor', method: 'PUT', url: '/api/stories/1', raw: '{"set_id":1,"set_index":1,"course_id":1,"__proto__":{"admin":true}}', status: 400, code: 'invalid_input', field: '(body)' },
  { name: '__proto__ inside json', caller: 'editor', method: 'PUT', url: '/api/stories/1', raw: '{"set_id":1,"set_index":1,"course_id":1,"json":{"__proto__":{"x":1}}}', status: 400, code: 'invalid_input', field: '(body)' },
  { name: 'constructor.prototype key', caller: 'admin', method: 'POST', url: '/api/avatars', raw: '{"link":"l","constructor":{"prototype":{"x":1}}}', status: 400, code: 'invalid_input', field: '(body)' },
  { name: '$-prefixed body field', caller: 'admin', method: 'POST', url: '/api/avatars', body: { link: 'l', $where: '1' }, status: 400, code: 'invalid_input', field: '$where' },
  { name: '_-prefixed body field', caller: 'admin', method: 'POST', url: '/api/avatars', body: { link: 'l', _id: 'x' }, status: 400, code: 'invalid_input', field: '_id' },
  { name: 'injection in a number field', caller: 'editor', method: 'PUT', url: '/api/stories/1', body: { ...story, set_id: '1; DROP TABLE story' }, status: 400, code: 'invalid_input', field: 'set_id' },
  { name: 'operator object for a number', caller: 'editor', method: 'PUT', url: '/api/stories/1', body: { ...story, set_id: { $gt: 0 } }, status: 400, code: 'invalid_input', field: 'set_id' },
  { name: 'a 20 MB body', caller: 'editor', method: 'PUT', url: '/api/stories/1', raw: JSON.stringify({ ...story, text: 'x'.repeat(20 * 1024 * 1024) }), status: 413, code: 'payload_too_large' },
  { name: 'body nested 100,000 deep', caller: 'editor', method: 'PUT', url: '/api/stories/1', raw: `{"set_id":1,"set_index":1,"course_id":1,"json":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, status: 400, code: 'invalid_input', field: 'json' },
  { name: 'body that is not UTF-8', caller: 'editor', method: 'PUT', url: '/api/stories/1', raw: Buffer.concat([Buffer.from('{"set_id":1,"set_index":1,"course_id":1,"text":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), status: 400, code: 'invalid_input', field: '(body)' },
  { name: 'body declared latin1', caller: 'editor', method: 'PUT', url: '/api/stories/1', raw: '{"set_id":1,"set_index":1,"course_id":1,"text":"caf\u00e9"}', contentType: 'application/json; charset=latin1', status: 415, code: 'unsupported_media_type' },
  { name: 'UTF-16 body', caller: 'editor', method: 'PUT', url: '/api/stories/1', raw: Buffer.from('{"set_id":1,"set_index":1,"course_id":1}', 'utf16le'), status: 400, code: 'invalid_input', field: '(body)' },
  { name: 'form body', caller: 'editor', method: 'PUT', url: '/api/stories/1', raw: 'set_id=1', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'unsupported_media_type' },
];

export const HOSTILE_CASES: HostileCase[] = [...convexLimits, ...surrogates, ...paths, ...ghosts, ...bodies];
