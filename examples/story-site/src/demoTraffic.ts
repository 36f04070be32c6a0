/**
 * Live traffic for the demo: every write path of the story site through the
 * HTTP API, as the application's users would send it, plus a few raw-SQL
 * writes behind the mirror helper's back (which capture still catches and
 * reports as untracked). Deterministic for a given seed.
 */
import type pg from 'pg';
import { SampleRandom } from './app/sample/random.js';

export interface TrafficTokens {
  reader: string;
  editor: string;
  admin: string;
}

export interface TrafficResult {
  requests: number;
  /** Requests by route and status, e.g. `POST /api/stories/:id/approval 200`. */
  byRoute: Record<string, number>;
  /** Requests answered with a status other than the expected one. */
  unexpected: string[];
  rawSqlWrites: number;
}

interface Ids {
  stories: number[];
  courses: number[];
  languages: number[];
  avatars: number[];
  images: string[];
}

async function loadIds(pool: pg.Pool): Promise<Ids> {
  const ids = async (sql: string) => (await pool.query<{ id: number }>(sql)).rows.map((r) => r.id);
  return {
    stories: await ids('SELECT id FROM story WHERE NOT coalesce(deleted, false) ORDER BY id LIMIT 200'),
    courses: await ids('SELECT id FROM course ORDER BY id'),
    languages: await ids('SELECT id FROM language ORDER BY id'),
    avatars: await ids('SELECT id FROM avatar ORDER BY id'),
    images: (await pool.query<{ id: string }>('SELECT id FROM image ORDER BY id LIMIT 50')).rows.map((r) => r.id),
  };
}

class Client {
  readonly result: TrafficResult = { requests: 0, byRoute: {}, unexpected: [], rawSqlWrites: 0 };
  constructor(
    private readonly baseUrl: string,
    private readonly tokens: TrafficTokens,
  ) {}

  async send(
    method: string,
    route: string,
    path: string,
    as: keyof TrafficTokens | 'anonymous',
    body?: unknown,
    expected: number[] = [200, 201],
  ): Promise<Record<string, unknown> | undefined> {
    const headers: Record<string, string> = {};
    if (as !== 'anonymous') headers.authorization = `Bearer ${this.tokens[as]}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const key = `${method} ${route} ${response.status}`;
    this.result.requests += 1;
    this.result.byRoute[key] = (this.result.byRoute[key] ?? 0) + 1;
    if (!expected.includes(response.status)) this.result.unexpected.push(`${key}: ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  }
}

/** The traffic's own random stream (beyond the sample generator's). */
const TRAFFIC_STREAM = 100;

/** One round touches every write path once (approvals several times). */
async function round(client: Client, pool: pg.Pool, ids: Ids, n: number, random: SampleRandom): Promise<void> {
  const pick = <T>(items: readonly T[]) => random.pick(items);
  const story = pick(ids.stories);
  const other = pick(ids.stories);
  const course = pick(ids.courses);
  const language = pick(ids.languages);
  const current = (await pool.query('SELECT duo_id, course_id, set_id, set_index, image FROM story WHERE id = $1', [story])).rows[0];
  await client.send('PUT', '/api/stories/:id', `/api/stories/${story}`, 'editor', {
    duo_id: current.duo_id, course_id: current.course_id, set_id: current.set_id, set_index: current.set_index,
    image: current.image, name: `Edited in round ${n}`, text: `Story text, round ${n}. ¿Qué tal? 你好`, json: { round: n, lines: [{ t: 'hello' }] }, todo_count: n % 3,
  });
  await client.send('PUT', '/api/stories', '/api/stories', 'editor', {
    duo_id: `demo-${n}`, course_id: course, set_id: 900 + n, set_index: 1, name: `Demo story ${n}`, text: 'Fresh draft', todo_count: 1,
  });
  const imported = await client.send('POST', '/api/courses/:courseId/import/:storyId', `/api/courses/${course}/import/${other}`, 'editor');
  for (const s of [story, other]) {
    await client.send('POST', '/api/stories/:id/approval', `/api/stories/${s}/approval`, 'editor');
    await client.send('POST', '/api/stories/:id/approval', `/api/stories/${s}/approval`, 'admin');
  }
  const approval = (await pool.query<{ id: number }>('SELECT id FROM story_approval WHERE story_id = $1 ORDER BY id LIMIT 1', [story])).rows[0];
  // The id is read from Postgres, which trails a Convex writer by reverse sync's lag once the
  // approvals' group writes in Convex (`demo --to-the-end`): the toggles just above may have
  // removed that approval already, and the API then rightly answers 404.
  if (approval) await client.send('DELETE', '/api/approvals/:id', `/api/approvals/${approval.id}`, 'admin', undefined, [200, 404]);
  await client.send('POST', '/api/stories/:id/toggle-published', `/api/stories/${other}/toggle-published`, 'admin');
  if (imported?.id) await client.send('DELETE', '/api/stories/:id', `/api/stories/${imported.id}`, 'editor');
  for (let i = 0; i < 5; i++) {
    await client.send('POST', '/api/stories/:id/done', `/api/stories/${pick(ids.stories)}/done`, i % 2 ? 'reader' : 'anonymous');
  }
  const lang = (await client.send('POST', '/api/languages', '/api/languages', 'admin', { name: `Demo ${n}`, short: `d${n}`.slice(0, 10) })) as { id: number };
  await client.send('PUT', '/api/languages/:id', `/api/languages/${lang.id}`, 'admin', { name: `Démo ${n}`, short: `d${n}`.slice(0, 10), rtl: n % 2 === 0 });
  const newCourse = (await client.send('POST', '/api/courses', '/api/courses', 'admin', { learning_language: lang.id, from_language: language, tags: 'Demo, Live' })) as { id: number };
  await client.send('PUT', '/api/courses/:id', `/api/courses/${newCourse.id}`, 'admin', { learning_language: lang.id, from_language: language, name: `Course ${n}`, public: true });
  await client.send('PUT', '/api/languages/:id/default-text', `/api/languages/${language}/default-text`, 'editor', { default_text: `Hello ${n}` });
  await client.send('PUT', '/api/languages/:id/tts-replace', `/api/languages/${language}/tts-replace`, 'editor', { tts_replace: `a|b${n}` });
  await client.send('PUT', '/api/avatar-mappings', '/api/avatar-mappings', 'editor', { avatar_id: pick(ids.avatars), language_id: lang.id, name: 'Ana', speaker: `voice-${n}` });
  await client.send('PUT', '/api/localizations', '/api/localizations', 'editor', { language_id: lang.id, tag: 'greeting', text: `Hi ${n}` });
  await client.send('PUT', '/api/images/:id', `/api/images/demo-${n}`, 'admin', { active: 'a.svg', gilded: 'g.svg', locked: 'l.svg', active_lip: '#fff', gilded_lip: '#000' });
  const avatar = (await client.send('POST', '/api/avatars', '/api/avatars', 'admin', { link: `https://example.org/demo-${n}.png`, name: `Avatar ${n}` })) as { id: number };
  await client.send('PUT', '/api/avatars/:id', `/api/avatars/${avatar.id}`, 'admin', { link: `https://example.org/demo-${n}-2.png`, name: `Avatar ${n}` });
  const speaker = (await client.send('POST', '/api/speakers', '/api/speakers', 'admin', { language_id: lang.id, speaker: `demo-voice-${n}`, gender: 'FEMALE', type: 'NEURAL', service: 'demo' })) as { id: number };
  await client.send('PUT', '/api/speakers/:id', `/api/speakers/${speaker.id}`, 'admin', { language_id: lang.id, speaker: `demo-voice-${n}`, gender: 'MALE', type: 'NEURAL', service: 'demo' });
}

/** Writes made with plain SQL, as a forgotten code path would: captured, and counted as untracked. */
async function rawSqlWrites(pool: pg.Pool, ids: Ids): Promise<number> {
  await pool.query(`UPDATE avatar SET name = coalesce(name, '') || ' (raw)' WHERE id = $1`, [ids.avatars[0]]);
  await pool.query(`INSERT INTO story_done (story_id, user_id) SELECT $1, NULL FROM generate_series(1, 3)`, [ids.stories[0]]);
  await pool.query(`UPDATE localization SET text = text || '!' WHERE id = (SELECT min(id) FROM localization)`);
  return 3;
}

export async function runTraffic(options: {
  baseUrl: string;
  tokens: TrafficTokens;
  pool: pg.Pool;
  rounds: number;
  seed?: number;
  /** Rounds are numbered from this (default 1): the names a round creates depend on its number. */
  firstRound?: number;
}): Promise<TrafficResult> {
  const client = new Client(options.baseUrl, options.tokens);
  const ids = await loadIds(options.pool);
  const random = SampleRandom.stream(options.seed ?? 1, TRAFFIC_STREAM);
  const first = options.firstRound ?? 1;
  for (let n = first; n < first + options.rounds; n++) await round(client, options.pool, ids, n, random);
  client.result.rawSqlWrites = await rawSqlWrites(options.pool, ids);
  return client.result;
}
