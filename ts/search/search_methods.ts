/** Every search method by name: each lives in its own folder and registers nothing else. */
import { fixedMethod } from "./fixed/fixed.js";
import { scallMethod } from "./scall/scall.js";
import type { SearchMethodDefinition } from "./search_context.js";
import type { SearchMethod } from "./search_types.js";

export const searchMethods: Partial<Record<SearchMethod, SearchMethodDefinition>> = {
  fixed: fixedMethod,
  scall: scallMethod,
};
