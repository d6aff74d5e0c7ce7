import { MediatorError } from '../domain/errors.js';
import type { FacilityRef } from '../domain/identifiers.js';
import type { MappingFile, MappingProblem } from '../config/mappings.js';
import type { Flow } from '../fhir/services.js';

/**
 * Routing rules as data (DESIGN §3 Routing, `fhir-mappings/routing.json`): per flow, which system
 * is the system of record for a facility (the first rule whose conditions hold, else the default)
 * and which secondary targets a write fans out to. Pure: the facts about the facility come in.
 */
export interface RoutingCondition {
  linkedIn?: string;
  facility?: string[];
  facilityType?: string[];
  program?: string[];
}

export interface RoutingRule {
  name: string;
  when: RoutingCondition;
  system: string;
}

export interface FlowRouting {
  rules?: RoutingRule[];
  /** A system, 'any' (the first configured system taking the flow: the behaviour before rules) or null. */
  default: string | null;
  secondary?: { system: string; when?: RoutingCondition }[];
}

export interface RoutingRules {
  flows: Partial<Record<Flow, FlowRouting>>;
}

/** The system of record is whichever configured connector takes the flow first. */
export const ANY = 'any';

/** A flow routing.json does not mention: the behaviour before routing rules. */
const UNRULED: FlowRouting = { default: ANY };

export const ROUTING_FILE: MappingFile<RoutingRules> = {
  file: 'routing.json',
  schema: 'routing.schema.json',
  check: (data) => [
    ...Object.entries(data.flows).flatMap(([flow, r]) => repeatedNames(r?.rules, `/flows/${flow}/rules`)),
    // the RTS bridge's store rules (src/bridges/rts-supplier.ts) live in this file too; read here
    // only by name, so routing does not import the bridge
    ...repeatedNames(
      (data as { supplyingStores?: { rules?: { name: string }[] } }).supplyingStores?.rules,
      '/supplyingStores/rules',
    ),
  ],
};

/**
 * Each rule whose name an earlier rule of the same list already has. A 422 or a held requisition
 * names the rule that decided (or the rules tried): two rules of one name would make that
 * ambiguous, so the file is refused at load with the second one's path.
 */
export function repeatedNames(rules: readonly { name: string }[] | undefined, at: string): MappingProblem[] {
  const first = new Map<string, number>();
  return (rules ?? []).flatMap((rule, i) => {
    const earlier = first.get(rule.name);
    if (earlier === undefined) {
      first.set(rule.name, i);
      return [];
    }
    return [{ path: `${at}/${i}/name`, reason: `repeats the rule name "${rule.name}" of ${at}/${earlier}` }];
  });
}

/**
 * Each place routing.json names a system a write could be sent to (a rule's system, a default, a
 * secondary target) that is not one of `known`: a typo ("openlmiss") would otherwise pass, and
 * every write it decides would be refused at request time, or a facility created nowhere. The
 * systems a connector can be configured for are passed in (routing does not import the
 * connectors); `linkedIn` is left alone: crosswalk systems include lists reconciled from files.
 */
export function unknownSystems(data: RoutingRules, known: readonly string[]): MappingProblem[] {
  const problems: MappingProblem[] = [];
  const check = (system: string | null | undefined, at: string) => {
    if (system === null || system === undefined || system === ANY || known.includes(system)) return;
    problems.push({
      path: at,
      reason: `names the system "${system}", which no connector serves (${known.join(', ')})`,
    });
  };
  for (const [flow, r] of Object.entries(data.flows)) {
    if (!r) continue;
    const at = `/flows/${flow}`;
    r.rules?.forEach((rule, i) => check(rule.system, `${at}/rules/${i}/system`));
    check(r.default, `${at}/default`);
    r.secondary?.forEach((target, i) => check(target.system, `${at}/secondary/${i}/system`));
  }
  return problems;
}

/** What the rules may ask about the facility of a write; each looked up only when a rule needs it. */
export interface FacilityFacts {
  /** Systems whose record the crosswalk links this facility to. */
  linkedSystems(): Promise<string[]>;
  /** The facility's type codes (levels included), from the system that serves facilities. */
  types(): Promise<string[]>;
}

export interface RoutingSubject {
  facility: FacilityRef | undefined;
  program?: string;
  facts: FacilityFacts;
}

async function holds(when: RoutingCondition, s: RoutingSubject): Promise<boolean> {
  const ref = s.facility;
  if (when.facility && !when.facility.some((f) => f === ref?.id || f === ref?.identifier?.value)) return false;
  if (when.program && !(s.program && when.program.includes(s.program))) return false;
  if (when.linkedIn && !(await s.facts.linkedSystems()).includes(when.linkedIn)) return false;
  if (when.facilityType) {
    const types = await s.facts.types();
    if (!when.facilityType.some((t) => types.includes(t))) return false;
  }
  return true;
}

/** The facility as a message names it. */
export function facilityName(ref: FacilityRef | undefined): string {
  if (!ref) return 'no facility';
  const parts = [
    ref.id && `Location/${ref.id}`,
    ref.identifier && `${ref.identifier.system}|${ref.identifier.value}`,
  ].filter(Boolean);
  return parts.length ? parts.join(' ') : (ref.display ?? 'an unnamed facility');
}

/** A write whose facility no configured system serves: 422 with the facility and the rule that failed. */
export class UnroutableError extends MediatorError {
  constructor(flow: Flow, ref: FacilityRef | undefined, why: string, expression: string[]) {
    super(422, {
      code: 'business-rule',
      diagnostics: `${flow} for ${facilityName(ref)} cannot be routed: ${why} (fhir-mappings/routing.json)`,
      expression,
    });
  }
}

export interface Targets {
  primary: string;
  secondary: string[];
  /** How the system of record was chosen, in the words a refusal names it with. */
  chosenBy?: string;
}

/**
 * The systems a write goes to. `configured` lists the systems whose connectors take this flow's
 * writes, in configuration order (for the default 'any'); `readOnly` those that only read it, with why.
 */
export async function resolveTargets(
  flow: Flow,
  routing: FlowRouting | undefined,
  subject: RoutingSubject,
  configured: string[],
  facilityPath: string[],
  readOnly: ReadonlyMap<string, string> = new Map(),
): Promise<Targets> {
  const r = routing ?? UNRULED;
  const refuse = (why: string): never => {
    throw new UnroutableError(flow, subject.facility, why, facilityPath);
  };
  // a system that serves the flow read only is named with why (DHIS2: orders raised in RTS)
  const notTaking = (system: string) =>
    readOnly.has(system)
      ? `which serves ${flow} read only: ${readOnly.get(system)}`
      : `which is not configured to take ${flow}`;
  let primary: string | undefined;
  let chosenBy = '';
  for (const rule of r.rules ?? []) {
    if (!(await holds(rule.when, subject))) continue;
    if (!configured.includes(rule.system))
      refuse(`rule "${rule.name}" routes it to ${rule.system}, ${notTaking(rule.system)}`);
    primary = rule.system;
    chosenBy = `rule "${rule.name}"`;
    break;
  }
  if (!primary) {
    const tried = (r.rules ?? []).map((x) => `"${x.name}"`).join(', ');
    const none = tried ? `no rule matched (${tried})` : 'no rule applies';
    if (r.default === null) refuse(`${none} and the flow has no default system`);
    else if (r.default === ANY) primary = configured[0] ?? refuse(`${none} and no configured system takes ${flow}`);
    else if (!configured.includes(r.default))
      refuse(`${none} and the default system ${r.default}, ${notTaking(r.default)}`);
    else primary = r.default;
    chosenBy = `its default ${r.default === ANY ? '"any" (the first configured system taking it)' : `"${r.default}"`}: ${none}`;
  }
  const secondary: string[] = [];
  for (const s of r.secondary ?? []) {
    // a secondary system that is switched off is not written to; one that is on gets its own job
    if (s.system === primary || !configured.includes(s.system) || secondary.includes(s.system)) continue;
    if (!s.when || (await holds(s.when, subject))) secondary.push(s.system);
  }
  return {
    primary: primary!,
    secondary,
    chosenBy: `fhir-mappings/routing.json ${flow} sent it to ${primary} by ${chosenBy}`,
  };
}
