import path from 'node:path';

/** Where the bench writes its results: one JSON file per run, and the pool profiles. */
export const RESULTS_DIR = path.join(__dirname, 'results');
