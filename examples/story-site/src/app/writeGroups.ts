/**
 * The story site's write paths (src/app/writes, DOMAIN.md 1–13) with the
 * tables each one writes in its transaction, and the write groups Tandem
 * derives from them: what the site hands the write router (each path's
 * group) once its Convex mutations are wired. test/writeCutover/storySite
 * checks every declared table list against the transactions the outbox sees
 * when the path runs, so the declaration cannot drift from the code.
 */
import { deriveWriteGroups, type WriteGroup, type WritePath } from 'tandem';

/** The ten mirrored tables of the story site. */
export const STORY_SITE_MIRRORED_TABLES = [
  'image',
  'language',
  'avatar',
  'speaker',
  'localization',
  'avatar_mapping',
  'course',
  'story',
  'story_approval',
  'story_done',
] as const;

/** Each write path (the function name in src/app/writes) and the tables its transaction writes. */
export const STORY_SITE_WRITE_PATHS: Readonly<Record<string, readonly string[]>> = {
  saveStory: ['story', 'course'],
  deleteStory: ['story', 'course'],
  importStory: ['story', 'course'],
  // The approval changes the story's status (and may publish its set) and the course's count and contributors.
  toggleApproval: ['story_approval', 'story', 'course'],
  removeApproval: ['story_approval', 'story', 'course'],
  togglePublished: ['story', 'course'],
  recordStoryDone: ['story_done'],
  recordStoryDoneBatch: ['story_done'],
  saveCourse: ['course'],
  // A rename updates the names copied into every course that references the language.
  saveLanguage: ['language', 'course'],
  setLanguageDefaultText: ['language'],
  setLanguageTtsReplace: ['language'],
  setAvatarSpeaker: ['avatar_mapping'],
  saveLocalization: ['localization'],
  saveImage: ['image'],
  saveAvatar: ['avatar'],
  saveSpeaker: ['speaker'],
};

export type StorySiteWritePath = keyof typeof STORY_SITE_WRITE_PATHS;

/** The write paths as the write-group derivation takes them. */
export const storySiteWritePaths: WritePath[] = Object.entries(STORY_SITE_WRITE_PATHS).map(
  ([name, tables]) => ({
    name,
    tables,
    source: 'application' as const,
  }),
);

/** The story site's write groups (default names: the sorted tables joined by `+`). */
export const storySiteGroups: WriteGroup[] = deriveWriteGroups({
  tables: STORY_SITE_MIRRORED_TABLES,
  writePaths: storySiteWritePaths,
});

/** Each write path's group: the `groups` option of createWriteRouter. */
export const storySiteWriteGroups: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(STORY_SITE_WRITE_PATHS).map(([path, tables]) => [
    path,
    storySiteGroups.find((g) => g.tables.includes(tables[0]!))!.name,
  ]),
);
