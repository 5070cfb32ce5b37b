/**
 * A section of `wxcoze init`, after ghost-cli's stages: a title (numbered on screen when present),
 * an optional condition, and a run step that reads what earlier stages left in the context and
 * writes its own results there. The order lives in one list (run.ts), so a section can be moved,
 * added or tested without reading the others.
 */
import { bold } from '../lib/ui.js';
import type { InitContext } from './context.js';

export interface Stage {
  /** Shown as "N. title"; stages without one continue the section before them. */
  title?: string;
  /** false: the stage is skipped (e.g. Caddy without a domain). */
  enabled?: (ctx: InitContext) => boolean;
  run: (ctx: InitContext) => Promise<void>;
}

export async function runStages(ctx: InitContext, stages: Stage[]): Promise<void> {
  let n = 0;
  for (const stage of stages) {
    if (stage.enabled && !stage.enabled(ctx)) continue;
    if (stage.title) console.log(bold(`${n ? '\n' : ''}${++n}. ${stage.title}`));
    await stage.run(ctx);
  }
}
