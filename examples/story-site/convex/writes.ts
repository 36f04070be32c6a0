/**
 * The story site's write paths as Convex mutations (DOMAIN.md write paths
 * 1–13), for the groups whose writer is Convex. Internal: the app's server
 * calls them with an admin/deploy key after checking the caller's role and
 * the input's shape exactly as the Postgres path does
 * (src/app/writes/convexPaths.ts), and passes the caller's legacy user id.
 * Each handler hands `changeLogged(ctx.db)` to a plain function in
 * convex/writes/, so the change log (convex/tandem/changeLog.ts) sees every
 * write of the mutation and records it in the same mutation, for reverse
 * sync to apply to Postgres.
 * Refusals are ConvexErrors with `{ code, field, message }` (writes/refusals.ts).
 */
import { v } from 'convex/values';
import { internalMutation } from './_generated/server.js';
import * as approvals from './writes/approvals.js';
import * as courses from './writes/courses.js';
import * as languages from './writes/languages.js';
import * as lookups from './writes/lookups.js';
import { changeLogged } from './writes/rows.js';
import * as stories from './writes/stories.js';
import * as storyDone from './writes/storyDone.js';

const text = v.union(v.string(), v.null());
const storyRef = { id: v.number() };

export const saveStory = internalMutation({
  args: {
    editor: v.number(),
    id: v.optional(v.number()),
    duo_id: text,
    name: text,
    image: text,
    set_id: v.number(),
    set_index: v.number(),
    course_id: v.number(),
    text,
    json: v.any(),
    todo_count: v.number(),
  },
  handler: (ctx, args) => stories.saveStory(changeLogged(ctx.db), args),
});

export const deleteStory = internalMutation({
  args: storyRef,
  handler: (ctx, args) => stories.deleteStory(changeLogged(ctx.db), args),
});

export const importStory = internalMutation({
  args: { importer: v.number(), story_id: v.number(), course_id: v.number() },
  handler: (ctx, args) => stories.importStory(changeLogged(ctx.db), args),
});

export const toggleApproval = internalMutation({
  args: { userId: v.number(), story_id: v.number() },
  handler: (ctx, args) => approvals.toggleApproval(changeLogged(ctx.db), args),
});

export const removeApproval = internalMutation({
  args: { id: v.number() },
  handler: (ctx, args) => approvals.removeApproval(changeLogged(ctx.db), args),
});

export const togglePublished = internalMutation({
  args: storyRef,
  handler: (ctx, args) => stories.togglePublished(changeLogged(ctx.db), args),
});

export const recordStoryDone = internalMutation({
  args: {
    items: v.array(v.object({ story_id: v.number(), user_id: v.union(v.number(), v.null()) })),
    batch: v.boolean(),
  },
  handler: (ctx, args) => storyDone.recordStoryDone(changeLogged(ctx.db), args),
});

export const saveCourse = internalMutation({
  args: {
    id: v.optional(v.number()),
    learning_language: v.number(),
    from_language: v.number(),
    public: v.boolean(),
    official: v.boolean(),
    conlang: v.boolean(),
    name: text,
    about: text,
    tags: v.union(v.array(v.string()), v.null()),
  },
  handler: (ctx, args) => courses.saveCourse(changeLogged(ctx.db), args),
});

export const saveLanguage = internalMutation({
  args: {
    id: v.optional(v.number()),
    name: v.string(),
    short: v.string(),
    flag: v.union(v.number(), v.null()),
    flag_file: text,
    speaker: text,
    default_text: text,
    tts_replace: text,
    public: v.boolean(),
    rtl: v.boolean(),
  },
  handler: (ctx, args) => languages.saveLanguage(changeLogged(ctx.db), args),
});

export const setLanguageColumn = internalMutation({
  args: {
    id: v.number(),
    column: v.union(v.literal('default_text'), v.literal('tts_replace')),
    value: text,
  },
  handler: (ctx, args) => languages.setLanguageColumn(changeLogged(ctx.db), args),
});

export const setAvatarSpeaker = internalMutation({
  args: { avatar_id: v.number(), language_id: v.number(), name: text, speaker: text },
  handler: (ctx, args) => lookups.setAvatarSpeaker(changeLogged(ctx.db), args),
});

export const saveLocalization = internalMutation({
  args: { language_id: v.number(), tag: v.string(), text: v.string() },
  handler: (ctx, args) => lookups.saveLocalization(changeLogged(ctx.db), args),
});

export const saveImage = internalMutation({
  args: {
    id: v.string(),
    active: v.string(),
    gilded: v.string(),
    locked: v.string(),
    active_lip: v.string(),
    gilded_lip: v.string(),
  },
  handler: (ctx, args) => lookups.saveImage(changeLogged(ctx.db), args),
});

export const saveAvatar = internalMutation({
  args: { id: v.optional(v.number()), link: v.string(), name: text },
  handler: (ctx, args) => lookups.saveAvatar(changeLogged(ctx.db), args),
});

export const saveSpeaker = internalMutation({
  args: {
    id: v.optional(v.number()),
    language_id: v.number(),
    speaker: v.string(),
    gender: v.union(v.literal('MALE'), v.literal('FEMALE')),
    type: v.union(v.literal('NORMAL'), v.literal('NEURAL')),
    service: v.string(),
  },
  handler: (ctx, args) => lookups.saveSpeaker(changeLogged(ctx.db), args),
});
