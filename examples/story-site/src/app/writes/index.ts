/**
 * The story site's write paths (DOMAIN.md 1–13). Each is
 * `fn(deps, actor, input)`: it checks the actor's role, validates the input
 * (InvalidInputError naming the field, before any SQL), and runs as one
 * Postgres transaction through `deps.runner`.
 */
export { requireRole } from './access.js';
export { toggleApproval, removeApproval, statusForApprovals, SET_PUBLISH_THRESHOLD } from './approvals.js';
export type { ApprovalOutcome, StoryStatus } from './approvals.js';
export { saveCourse, normalizeTags } from './courses.js';
export { saveLanguage, setLanguageDefaultText, setLanguageTtsReplace } from './languages.js';
export { setAvatarSpeaker, saveLocalization, saveImage, saveAvatar, saveSpeaker } from './lookups.js';
export { recordStoryDone, recordStoryDoneBatch } from './storyDone.js';
export { saveStory, deleteStory, importStory, togglePublished } from './stories.js';
