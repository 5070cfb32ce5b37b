/**
 * The models `/v1/models` lists: one per configured Coze bot or chatflow, from configuration only
 * (Open-WebUI waits 10 s for this list and polls it; it must never wait on Coze). The id is an
 * ASCII slug clients send back as `model`; `name` is the label Open-WebUI shows.
 */
import type { WxcozeConfig } from '../config/types.js';
import { chatTargetOf } from '../coze/target.js';
import type { ChatTarget } from '../coze/types.js';

export interface CozeModel {
  id: string;
  name: string;
  target: ChatTarget;
  /** Unix seconds; fixed for the process so repeated listings are identical. */
  created: number;
}

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  name: string;
}

export class ModelCatalog {
  private readonly byId: Map<string, CozeModel>;

  constructor(readonly models: CozeModel[]) {
    this.byId = new Map(models.map((m) => [m.id, m]));
  }

  static fromConfig(config: WxcozeConfig, created = Math.floor(Date.now() / 1000)): ModelCatalog {
    return new ModelCatalog([
      {
        id: config.openai.modelId,
        name: config.openai.modelName,
        target: chatTargetOf(config.coze),
        created,
      },
    ]);
  }

  get(id: string): CozeModel | undefined {
    return this.byId.get(id);
  }

  list(): ModelObject[] {
    return this.models.map(toModelObject);
  }
}

export function toModelObject(m: CozeModel): ModelObject {
  return { id: m.id, object: 'model', created: m.created, owned_by: 'coze', name: m.name };
}
