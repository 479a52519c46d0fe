// What both pages (the IDE, web/ide.ts, and the plain run, web/run.ts) show the same way: a share link
// for the documents a run read, and a problem that stops or prevents a run. Elements by id: #share-link,
// #share-problem, #errors, #what.
import { CircuitError } from '../engine/circuit/errors.js';
import { encodeShareLink, ShareLinkError, type SharedRun } from '../sharing/link.js';
import { RequestError } from './request.js';
import { arenaPath } from './robot-run.js';

const $ = (id: string) => document.getElementById(id)!;

/** Share: a link to this page carrying `documents`, shown (and copied where the page may), with `note` beside it. */
export async function showShareLink(asked: SharedRun, documents: Record<string, string>, note = ''): Promise<void> {
  const field = $('share-link') as HTMLInputElement;
  try {
    const arena = asked.arena === undefined ? {} : { arena: arenaPath(asked.arena) };
    const fragment = await encodeShareLink({ document: asked.document, ...arena, seed: asked.seed, documents });
    field.value = `${location.origin}${location.pathname}#${fragment}`;
    $('share-problem').textContent = note;
  } catch (e) {
    field.value = '';
    $('share-problem').textContent = (e as Error).message;
    return;
  }
  field.hidden = false;
  field.select();
  await navigator.clipboard?.writeText(field.value).catch(() => undefined);
}

/** A problem: the checker's or the link's message as it is, anything else with its stack; `ran`: it stopped a run. */
export function showProblem(e: unknown, ran = false): void {
  const known = e instanceof CircuitError || e instanceof ShareLinkError || e instanceof RequestError;
  $('errors').textContent = known ? (e as Error).message : String((e as Error)?.stack ?? e);
  $('errors').hidden = false;
  $('what').textContent = ran ? 'The run stopped: see the problem below.' : 'Nothing runs: see the problems below.';
  document.body.dataset.status = 'error';
}
