/** The story site's Convex read functions by path (convex/reads/*.ts), called with an admin/deploy key. */
export const CONVEX_READ_PATHS = {
  publicCourses: 'reads/courses:publicCourses',
  courseStories: 'reads/courses:courseStories',
  editorCourses: 'reads/courses:editorCourses',
  editorCourse: 'reads/courses:editorCourse',
  storyById: 'reads/stories:storyById',
  userDoneStories: 'reads/stories:userDoneStories',
  monthReadsPage: 'reads/stats:monthReadsPage',
  monthSummary: 'reads/stats:monthSummary',
  localization: 'reads/lookups:localization',
  languageById: 'reads/lookups:languageById',
  imageById: 'reads/lookups:imageById',
  avatarMappings: 'reads/lookups:avatarMappings',
} as const;
