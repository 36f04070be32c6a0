/** Capture: the trigger that fills tandem.outbox, its install/uninstall, and its status. */
export { captureTriggerName } from './catalog.js';
export { captureFunctionName } from './captureFunction.js';
export {
  installCapture,
  heavyColumnsOf,
  type CaptureOptions,
  type InstallResult,
} from './install.js';
export { uninstallCapture, capturedTables, type UninstallResult } from './uninstall.js';
export {
  captureStatus,
  untrackedWrites,
  type CaptureState,
  type TableCaptureStatus,
  type UntrackedWrites,
} from './status.js';
export { setOperationKey, operationKeySettings, OPERATION_KEY_SETTING } from './operationKey.js';
export { pruneOutbox } from './prune.js';
export {
  pausedTables,
  pauseTable,
  resumeTables,
  resumeMarker,
  installedShapes,
  type TablePause,
  type PauseRequest,
} from './tablePause.js';
