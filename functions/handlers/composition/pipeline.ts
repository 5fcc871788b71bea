/**
 * The workflow tasks' dependencies (app/pipeline/ports.ts), part of the composition root
 * (./root.ts): the process database and bucket, plus what one task's handler file wires in.
 */
import type { ImageSource } from '../../adapters/freepik/image-source.js';
import { createComplianceOnlyImaging } from '../../app/pipeline/imaging-pure.js';
import type { PipelineDeps, PipelineImaging } from '../../app/pipeline/ports.js';
import { AppError } from '../../shared/errors.js';
import { services } from './root.js';

/**
 * What a task needs beyond the database and the bucket. Each handler file wires only what it
 * uses, so tasks that never touch pixels or Freepik bundle neither sharp nor the Freepik client
 * (the bundle test checks which Lambda carries sharp's binaries).
 */
export interface TaskWiring {
  /** The rendering tasks pass createPipelineImaging (sharp); others get copy checks + scoring. */
  imaging?: () => PipelineImaging;
  /** "Source image" passes the Freepik image source (imageSourceFromEnv in ./freepik.ts). */
  imageSource?: () => ImageSource;
}

// Imaging holds no state and reads nothing provided: one per wiring for the process's life.
const imagingByWiring = new WeakMap<object, PipelineImaging>();
const noWiring = {};

/** Read per invocation, so a database or bucket provided later (tests, local stack) is the one used. */
export function pipelineDeps(wiring?: TaskWiring): PipelineDeps {
  const key = wiring ?? noWiring;
  let imaging = imagingByWiring.get(key);
  if (!imaging) imagingByWiring.set(key, (imaging = (wiring?.imaging ?? createComplianceOnlyImaging)()));
  return {
    db: services.db(),
    store: services.store(),
    imageSource: () => {
      if (!wiring?.imageSource) throw new AppError('internal', 'This task has no image source wired');
      return wiring.imageSource();
    },
    imaging,
  };
}
