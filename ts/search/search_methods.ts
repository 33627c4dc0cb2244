/** Every search method by name: each lives in its own folder and registers nothing else. */
import { autodimMethod } from "./autodim/autodim.js";
import { autoEmbMethod } from "./autoemb/autoemb.js";
import { dartsMethod } from "./darts/darts.js";
import { esapnMethod } from "./esapn/esapn.js";
import { fixedMethod } from "./fixed/fixed.js";
import { mdeMethod } from "./mde/mde.js";
import { scallMethod } from "./scall/scall.js";
import type { SearchMethodDefinition } from "./search_context.js";
import type { SearchMethod } from "./search_types.js";

export const searchMethods: Partial<Record<SearchMethod, SearchMethodDefinition>> = {
  fixed: fixedMethod,
  mde: mdeMethod,
  autodim: autodimMethod,
  darts: dartsMethod,
  autoemb: autoEmbMethod,
  esapn: esapnMethod,
  scall: scallMethod,
};
