/**
 * The workload of the capture-overhead benchmark: every write path of the
 * story site (DOMAIN.md 1–13), with inputs drawn from the sample data. Each
 * client draws its operations from its own seeded generator, so every
 * database of a run sees the same sequence. A client's editor actions use its
 * own users (user id ≡ client index mod clients), so removals of approvals
 * never race another client's.
 */
import { admin, editor, reader } from './actors.js';
import type { AppDeps } from '../../examples/story-site/src/app/ports.js';
import {
  deleteStory,
  importStory,
  recordStoryDone,
  recordStoryDoneBatch,
  removeApproval,
  saveAvatar,
  saveCourse,
  saveImage,
  saveLanguage,
  saveLocalization,
  saveSpeaker,
  saveStory,
  setAvatarSpeaker,
  setLanguageDefaultText,
  setLanguageTtsReplace,
  toggleApproval,
  togglePublished,
} from '../../examples/story-site/src/app/writes/index.js';
import type { BenchRandom } from './random.js';
import type { WriteWorld } from './writeWorld.js';

export interface BenchClient {
  index: number;
  clients: number;
  rand: BenchRandom;
  /** Stories this client imported and has not deleted yet (delete-story removes these). */
  imported: number[];
}

export interface OpContext {
  deps: AppDeps;
  world: WriteWorld;
  client: BenchClient;
}

export interface TimedOp {
  /** The write path that ran. */
  name: string;
  ms: number;
}

export interface WriteOp {
  name: string;
  weight: number;
  run(ctx: OpContext): Promise<TimedOp>;
}

async function timed(name: string, work: () => Promise<unknown>): Promise<TimedOp> {
  const started = performance.now();
  await work();
  return { name, ms: performance.now() - started };
}

/** A user of this client's share (ids 1..userCount). */
function ownUser(ctx: OpContext): number {
  const { index, clients, rand } = ctx.client;
  const slots = Math.floor((ctx.world.userCount - index - 1) / clients) + 1;
  return 1 + index + clients * rand.below(slots);
}

const anyUser = (ctx: OpContext) => 1 + ctx.client.rand.below(ctx.world.userCount);
const story = (ctx: OpContext) => ctx.client.rand.pick(ctx.world.stories);
const language = (ctx: OpContext) => ctx.client.rand.pick(ctx.world.languages);

async function importOne(ctx: OpContext): Promise<TimedOp> {
  const input = { story_id: story(ctx).id, course_id: ctx.client.rand.pick(ctx.world.courses).id };
  let id = 0;
  const op = await timed('import-story', async () => {
    id = (await importStory(ctx.deps, editor(ownUser(ctx)), input)).id;
  });
  ctx.client.imported.push(id);
  return op;
}

/** Unmeasured look-up: an approval given by one of this client's users, or undefined. */
async function ownApproval(ctx: OpContext): Promise<number | undefined> {
  const { rows } = await ctx.deps.pool.query<{ id: number }>(
    'SELECT id FROM story_approval WHERE (user_id - 1) % $1 = $2 ORDER BY id',
    [ctx.client.clients, ctx.client.index],
  );
  return rows.length === 0 ? undefined : ctx.client.rand.pick(rows).id;
}

export const WRITE_MIX: WriteOp[] = [
  {
    name: 'toggle-approval',
    weight: 2,
    run: (ctx) =>
      timed('toggle-approval', () =>
        toggleApproval(ctx.deps, editor(ownUser(ctx)), { story_id: story(ctx).id }),
      ),
  },
  {
    name: 'remove-approval',
    weight: 1,
    async run(ctx) {
      const id = await ownApproval(ctx);
      if (id === undefined) {
        return timed('toggle-approval', () =>
          toggleApproval(ctx.deps, editor(ownUser(ctx)), { story_id: story(ctx).id }),
        );
      }
      return timed('remove-approval', () => removeApproval(ctx.deps, admin(1), { id }));
    },
  },
  {
    name: 'save-story',
    weight: 1,
    run(ctx) {
      const s = story(ctx);
      const input = {
        id: s.id,
        duo_id: s.duo_id,
        name: s.name,
        image: s.image,
        set_id: s.set_id,
        set_index: s.set_index,
        course_id: s.course_id,
        text: s.text,
        json: s.json ?? undefined,
        todo_count: s.todo_count,
      };
      return timed('save-story', () => saveStory(ctx.deps, editor(ownUser(ctx)), input));
    },
  },
  { name: 'import-story', weight: 1, run: importOne },
  {
    name: 'delete-story',
    weight: 1,
    async run(ctx) {
      const id = ctx.client.imported.shift();
      if (id === undefined) return importOne(ctx);
      return timed('delete-story', () => deleteStory(ctx.deps, editor(ownUser(ctx)), { id }));
    },
  },
  {
    name: 'toggle-published',
    weight: 1,
    run: (ctx) =>
      timed('toggle-published', () => togglePublished(ctx.deps, admin(1), { id: story(ctx).id })),
  },
  {
    name: 'record-story-done',
    weight: 3,
    run: (ctx) =>
      timed('record-story-done', () =>
        recordStoryDone(ctx.deps, reader(anyUser(ctx)), { story_id: story(ctx).id }),
      ),
  },
  {
    name: 'record-story-done-batch',
    weight: 1,
    run(ctx) {
      const items = Array.from({ length: 20 }, () => ({
        story_id: story(ctx).id,
        user_id: anyUser(ctx),
      }));
      return timed('record-story-done-batch', () => recordStoryDoneBatch(ctx.deps, items));
    },
  },
  {
    name: 'save-course',
    weight: 1,
    run(ctx) {
      const c = ctx.client.rand.pick(ctx.world.courses);
      const input = {
        id: c.id,
        learning_language: c.learning_language,
        from_language: c.from_language,
        public: c.public,
        official: c.official,
        conlang: c.conlang,
        name: `${(c.name ?? 'Course').slice(0, 240)} ${ctx.client.rand.word(6)}`,
        about: c.about,
        tags: c.tags,
      };
      return timed('save-course', () => saveCourse(ctx.deps, admin(1), input));
    },
  },
  {
    name: 'save-language',
    weight: 1,
    run(ctx) {
      // A rename: the new name is copied into every course of the language in the same transaction.
      const l = language(ctx);
      const input = { ...l, name: `${l.name.slice(0, 90)} ${ctx.client.rand.word(6)}` };
      return timed('save-language', () => saveLanguage(ctx.deps, admin(1), input));
    },
  },
  {
    name: 'set-language-default-text',
    weight: 1,
    run(ctx) {
      const input = { id: language(ctx).id, default_text: ctx.client.rand.word(30) };
      return timed('set-language-default-text', () =>
        setLanguageDefaultText(ctx.deps, editor(ownUser(ctx)), input),
      );
    },
  },
  {
    name: 'set-language-tts-replace',
    weight: 1,
    run(ctx) {
      const input = {
        id: language(ctx).id,
        tts_replace: `${ctx.client.rand.word(5)}=${ctx.client.rand.word(7)}`,
      };
      return timed('set-language-tts-replace', () =>
        setLanguageTtsReplace(ctx.deps, editor(ownUser(ctx)), input),
      );
    },
  },
  {
    name: 'set-avatar-speaker',
    weight: 1,
    run(ctx) {
      const input = {
        avatar_id: ctx.client.rand.pick(ctx.world.avatars).id,
        language_id: language(ctx).id,
        name: ctx.client.rand.word(8),
        speaker: ctx.client.rand.word(10),
      };
      return timed('set-avatar-speaker', () =>
        setAvatarSpeaker(ctx.deps, editor(ownUser(ctx)), input),
      );
    },
  },
  {
    name: 'save-localization',
    weight: 1,
    run(ctx) {
      const l = ctx.client.rand.pick(ctx.world.localizations);
      const input = { language_id: l.language_id, tag: l.tag, text: ctx.client.rand.word(40) };
      return timed('save-localization', () =>
        saveLocalization(ctx.deps, editor(ownUser(ctx)), input),
      );
    },
  },
  {
    name: 'save-image',
    weight: 1,
    run(ctx) {
      const input = {
        ...ctx.client.rand.pick(ctx.world.images),
        active: `${ctx.client.rand.word(10)}.svg`,
      };
      return timed('save-image', () => saveImage(ctx.deps, admin(1), input));
    },
  },
  {
    name: 'save-avatar',
    weight: 1,
    run(ctx) {
      const a = ctx.client.rand.pick(ctx.world.avatars);
      const input = { id: a.id, link: a.link, name: ctx.client.rand.word(8) };
      return timed('save-avatar', () => saveAvatar(ctx.deps, admin(1), input));
    },
  },
  {
    name: 'save-speaker',
    weight: 1,
    run(ctx) {
      const s = ctx.client.rand.pick(ctx.world.speakers);
      const input = { ...s, service: ctx.client.rand.pick(['azure', 'google', 'polly']) };
      return timed('save-speaker', () => saveSpeaker(ctx.deps, admin(1), input));
    },
  },
];

const TOTAL_WEIGHT = WRITE_MIX.reduce((n, op) => n + op.weight, 0);

/** Draws the next operation of a client by weight. */
export function nextOp(client: BenchClient): WriteOp {
  let r = client.rand.below(TOTAL_WEIGHT);
  for (const op of WRITE_MIX) {
    r -= op.weight;
    if (r < 0) return op;
  }
  return WRITE_MIX[WRITE_MIX.length - 1]!;
}
