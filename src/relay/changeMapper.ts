import { estimateChangeBytes, estimateChangeIndexRanges, mapChange, type MirrorConfig } from '../mapping/index.js';
import type { ChangeMapper } from './applyClaimed.js';

/** The relay's mapper: the shared value mapping, plus a size estimate for packing calls. */
export function mirrorMapper(config: MirrorConfig): ChangeMapper {
  return {
    map(captured) {
      const change = mapChange(captured, config);
      return { change, bytes: estimateChangeBytes(change), indexRanges: estimateChangeIndexRanges(change, config) };
    },
  };
}
