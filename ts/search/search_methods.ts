/** Every search method by name: each lives in its own folder and registers nothing else. */
import { autodimMethod } from "./autodim/autodim.js";
import { autoEmbMethod } from "./autoemb/autoemb.js";
import { dartsMethod } from "./darts/darts.js";
import { esapnMethod } from "./esapn/esapn.js";
import { fixedMethod } from "./fixed/fixed.js";
import { mdeMethod } from "./mde/mde.js";
import { scallMethod } from "./scall/scall.js";
import { planEvaluationSettings } from "./plan_evaluation.js";
import type { SearchMethodDefinition } from "./search_context.js";
import type { SettingSpec } from "./setting_table.js";
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

/**
 * Every setting a method reads: its own table, then evaluatePlan's where the method does not
 * declare the name itself (a method's learningRate may also be the retraining's, say so in its doc).
 */
export function settingsOf(definition: SearchMethodDefinition): readonly SettingSpec[] {
  const own = new Set(definition.settings.map((spec) => spec.name));
  const readFor = (spec: SettingSpec) => spec.tasks === undefined || spec.tasks.some((task) => definition.tasks.includes(task));
  return [...definition.settings, ...planEvaluationSettings.filter((spec) => !own.has(spec.name) && readFor(spec))];
}
