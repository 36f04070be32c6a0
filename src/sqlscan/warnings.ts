/** Something the scan could not check: SQL it could not parse, a file it could not read. */
export interface ScanWarning {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

/** `file:line:col: warning: message`, the shape compilers use, so editors can jump to it. */
export function formatScanWarning(warning: ScanWarning): string {
  const where =
    warning.line === undefined
      ? warning.file
      : `${warning.file}:${warning.line}:${warning.column ?? 1}`;
  return `${where}: warning: ${warning.message}`;
}
