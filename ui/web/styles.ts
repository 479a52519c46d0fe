// The IDE's styles: the page a Flux process serves (ui/page.ts) and the IDE in a browser tab (web/ide.ts).
export const CSS = `
:root { --bg: #f6f7f9; --panel: #fff; --ink: #1d232b; --muted: #6b7480; --line: #dde1e6; --accent: #1e6fd9; --bad: #c62828; --ok: #2e7d32; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; gap: 16px; align-items: baseline; padding: 8px 14px; background: #18202b; color: #e8edf3; flex-wrap: wrap; }
header h1 { font-size: 15px; margin: 0; }
header .conn { margin-left: auto; font-size: 12px; }
header .conn.off { color: #ff8a80; }
main { display: grid; grid-template-columns: minmax(520px, 1.15fr) minmax(460px, 1fr); gap: 10px; padding: 10px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin-bottom: 10px; }
section h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 6px; display: flex; gap: 8px; align-items: center; }
section h2 .grow { flex: 1; }
canvas { display: block; width: 100%; }
.arena svg { display: block; width: 100%; max-width: 420px; height: auto; }
table { border-collapse: collapse; width: 100%; }
td, th { padding: 2px 6px; text-align: left; border-bottom: 1px solid #eef0f3; vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 11px; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 4px 12px; }
.stats div { display: flex; flex-direction: column; }
.stats b { font-size: 16px; font-variant-numeric: tabular-nums; }
.stats span { color: var(--muted); font-size: 11px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; background: #e8f5e9; color: var(--ok); }
.badge.bad { background: #ffebee; color: var(--bad); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 10px; font-size: 11px; margin-top: 4px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.toolbar { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin-bottom: 6px; }
button { font: inherit; padding: 3px 10px; border: 1px solid #b9c1cb; background: #fff; border-radius: 4px; cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); color: var(--accent); }
button:disabled { opacity: .45; cursor: default; }
button.danger { color: var(--bad); border-color: #e6b3b3; }
input, select, textarea { font: inherit; padding: 2px 4px; border: 1px solid #c5ccd4; border-radius: 3px; }
input.param { width: 110px; }
.error { white-space: pre-wrap; background: #ffebee; color: var(--bad); border: 1px solid #f3b6b6; border-radius: 4px; padding: 6px 8px; margin: 6px 0; font-family: ui-monospace, monospace; font-size: 12px; }
.note { color: var(--ok); margin: 4px 0; min-height: 1.3em; }
.note.bad { color: var(--bad); }
.muted { color: var(--muted); }
svg.graph { width: 100%; height: 420px; background: #fbfcfd; border: 1px solid var(--line); border-radius: 4px; user-select: none; }
svg.graph .node rect { fill: #fff; stroke: #7d8893; stroke-width: 1.2; }
svg.graph .node.selected rect { stroke: var(--accent); stroke-width: 2.5; }
svg.graph .node text { font-size: 11px; }
svg.graph .node .sub { fill: var(--muted); font-size: 10px; }
svg.graph .group rect { fill: #eef3fa; stroke: #b7c7dc; stroke-dasharray: 4 3; }
svg.graph .group text { font-size: 11px; fill: #3b5675; cursor: pointer; font-weight: 600; }
svg.graph .edge { fill: none; stroke-width: 1.6; cursor: pointer; }
svg.graph .edge.exc { stroke: #2e7d32; }
svg.graph .edge.inh { stroke: #c62828; }
svg.graph .edge.selected { stroke-width: 3.5; }
svg.graph .node, svg.graph .module { cursor: pointer; }
details { margin: 6px 0; }
summary { cursor: pointer; font-weight: 600; }
.form { display: grid; grid-template-columns: 110px 1fr; gap: 4px 8px; align-items: center; margin: 6px 0; }
.form textarea { min-height: 44px; }
.form .field-error { grid-column: 2; color: var(--bad); font-size: 12px; margin-top: -2px; }
.form fieldset.sub { grid-column: 1 / -1; margin: 2px 0; padding: 4px 8px 6px; border: 1px solid var(--line); border-radius: 4px; }
.form fieldset.sub > legend { font-size: 12px; color: var(--muted); }
.form fieldset.sub > button { grid-column: 2; justify-self: start; }
`;
