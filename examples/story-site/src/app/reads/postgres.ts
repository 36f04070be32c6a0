/**
 * ReadPaths served from Postgres. Each read is a few bound-parameter queries on
 * the pool (no transaction: every path reads one consistent-enough snapshot per
 * statement, as the legacy site did).
 */
import type { Queryable } from 'tandem';
import { avatarMappings, imageById, languageById, localization } from './pg/lookups.js';
import { courseStories, editorCourse, editorCourses, publicCourses } from './pg/courses.js';
import { monthlyStats } from './pg/monthlyStats.js';
import { storyById, userDoneStories } from './pg/stories.js';
import type { ReadPaths } from './types.js';

export class PostgresReadPaths implements ReadPaths {
  constructor(private readonly db: Queryable) {}

  publicCourses() {
    return publicCourses(this.db);
  }
  courseStories(short: string) {
    return courseStories(this.db, short);
  }
  storyById(id: number) {
    return storyById(this.db, id);
  }
  userDoneStories(userId: number, courseId: number) {
    return userDoneStories(this.db, userId, courseId);
  }
  editorCourses() {
    return editorCourses(this.db);
  }
  editorCourse(id: number) {
    return editorCourse(this.db, id);
  }
  monthlyStats(year: number, month: number) {
    return monthlyStats(this.db, year, month);
  }
  localization(languageId: number) {
    return localization(this.db, languageId);
  }
  languageById(id: number) {
    return languageById(this.db, id);
  }
  imageById(id: string) {
    return imageById(this.db, id);
  }
  avatarMappings(languageId: number) {
    return avatarMappings(this.db, languageId);
  }
}
