/**
 * A read-stage source for benchmarks: every table at one stage, switched by
 * the benchmark between blocks (no flag store, no propagation).
 */
import type { StageSource, TableStage } from '../../src/cutover/index.js';

export class FixedStage implements StageSource {
  stage: TableStage = { stage: 'postgres', percent: 0, salt: 'bench' };
  stageOf(): TableStage {
    return this.stage;
  }
}
