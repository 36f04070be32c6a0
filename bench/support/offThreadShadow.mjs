/**
 * The worker of storySiteReadStages' `shadow-offthread` stage: a model of
 * shadow reads run off the serving thread. It holds the modeled Convex
 * answers as JSON text; for each served read it is handed the served
 * result's text, waits the modeled Convex latency, decodes both and compares
 * them structurally (dequal, resultsEqual's first check), and says whether
 * they matched. Plain JavaScript so the worker needs no TypeScript loader.
 */
import { setTimeout } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';
import { dequal } from 'dequal';

const answers = new Map(workerData.answers);
parentPort.on('message', ({ key, served, latencyMs }) => {
  setTimeout(() => {
    const text = answers.get(key);
    const same = text !== undefined && dequal(JSON.parse(served), JSON.parse(text));
    parentPort.postMessage(same);
  }, latencyMs);
});
