export type {
  ConvexTarget,
  ConvexTargetKind,
  ExportedRow,
  ExportOptions,
  ExportPage,
} from './target.js';
export { EmbeddedConvexTarget, type EmbeddedConvexTargetOptions } from './embeddedTarget.js';
export { HttpConvexTarget, type HttpConvexTargetOptions } from './httpTarget.js';
export {
  RecordingConvexTarget,
  type RecordedCall,
  type RecordingConvexTargetOptions,
} from './recordingTarget.js';
export { APPLY_BATCH_PATH, EXPORT_PAGE_PATH } from './functionRefs.js';
export {
  loadConvexDir,
  type ConvexModuleMap,
  type LoadedConvexDir,
} from './loadConvexDir.js';
export { listFunctionModules } from './functionModules.js';
export { PARITY_PATHS } from './functionRefs.js';
