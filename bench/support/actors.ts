/** The actors the write benchmark acts as (the roles the write paths check). */
import type { Actor } from '../../examples/story-site/src/app/ports.js';

export const reader = (userId: number): Actor => ({ userId, role: 'reader' });
export const editor = (userId: number): Actor => ({ userId, role: 'editor' });
export const admin = (userId: number): Actor => ({ userId, role: 'admin' });
