/**
 * The report page: one self-contained HTML file (inline CSS, inline SVG, a few lines of inline script for
 * the log-scale switch), so it opens from disk in any browser with no server and survives being mailed.
 */

export interface ReportSection {
  id: string;
  title: string;
  /** Trusted HTML built by the section writers (values escaped with `esc`). */
  html: string;
}

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A table from rows of cells; numbers are formatted with `digits` significant decimals. */
export function table(header: string[], rows: unknown[][], digits = 4): string {
  const cell = (v: unknown) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : Number.isFinite(v) ? v.toFixed(digits) : String(v)) : esc(v ?? '');
  return (
    `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`).join('') +
    '</tbody></table>'
  );
}

/**
 * Key / value table of a flat or nested record; a nested value (a fingerprint, a list of files) is a
 * collapsed `<details>` holding its own table, so the page stays readable.
 */
export function recordTable(rec: Record<string, unknown>): string {
  const rows = Object.entries(rec).map(([k, v]) => {
    if (typeof v !== 'object' || v === null) return `<tr><td>${esc(k)}</td><td>${esc(v ?? '')}</td></tr>`;
    const size = Array.isArray(v) ? `${v.length} item(s)` : `${Object.keys(v).length} field(s)`;
    const inner = Array.isArray(v) ? `<pre>${esc(JSON.stringify(v, null, 1))}</pre>` : recordTable(v as Record<string, unknown>);
    return `<tr><td>${esc(k)}</td><td><details><summary>${esc(size)}</summary>${inner}</details></td></tr>`;
  });
  return `<table><thead><tr><th>key</th><th>value</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** A chart in both scales; the page's log-scale switch shows one of them. */
export function dualScaleFigure(linearSvg: string, logSvg: string, caption?: string): string {
  return `<figure class="chart"><div class="lin">${linearSvg}</div><div class="log">${logSvg}</div>${caption ? `<figcaption>${esc(caption)}</figcaption>` : ''}</figure>`;
}

export function figure(svg: string, caption?: string): string {
  return `<figure class="chart">${svg}${caption ? `<figcaption>${esc(caption)}</figcaption>` : ''}</figure>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;opacity:.8}
nav{padding:8px 28px;background:#e9ecf1;position:sticky;top:0;z-index:2;display:flex;gap:14px;flex-wrap:wrap;align-items:center}
nav a{color:#2b59c3;text-decoration:none}nav label{margin-left:auto;cursor:pointer}
main{padding:8px 28px 40px;max-width:1200px}section{background:#fff;border-radius:8px;padding:14px 20px;margin:16px 0;box-shadow:0 1px 2px #0001}
h2{font-size:17px;margin:4px 0 10px}h3{font-size:15px;margin:14px 0 6px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border-bottom:1px solid #e3e6eb;padding:3px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}thead th{background:#f0f2f5}
.grid{display:flex;flex-wrap:wrap;gap:16px}.chart{margin:0}.chart svg{max-width:100%;height:auto}
figcaption{font-size:12px;color:#5b6475}.kpi{display:flex;gap:18px;flex-wrap:wrap}.kpi div{background:#f0f4ff;border-radius:6px;padding:8px 14px}
.kpi b{display:block;font-size:20px}.note{color:#5b6475;font-size:13px}.warn{background:#fff3cd;border-left:4px solid #e0a800;padding:8px 12px}
.log{display:none}body.logscale .log{display:block}body.logscale .lin{display:none}
.kpi .se{font-size:14px;font-weight:normal;color:#5b6475}.headline{background:#eef7ee;border-left:4px solid #59a14f;padding:8px 12px}
details>summary{cursor:pointer;color:#2b59c3}
`;

export function htmlPage(o: { title: string; subtitle: string; sections: ReportSection[] }): string {
  const nav = o.sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('');
  const body = o.sections.map((s) => `<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>${s.html}</section>`).join('\n');
  // The switch only where there is something to switch: charts drawn in both scales.
  const dual = body.includes('<div class="log">');
  const toggle = dual ? '<label><input type="checkbox" id="logscale"> log-scale y axes</label>' : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(o.title)}</title><style>${CSS}</style></head>
<body>
<header><h1>${esc(o.title)}</h1><p>${esc(o.subtitle)}</p></header>
<nav>${nav}${toggle}</nav>
<main>
${body}
</main>
${dual ? "<script>\ndocument.getElementById('logscale').addEventListener('change',function(e){document.body.classList.toggle('logscale',e.target.checked)});\n</script>" : ''}
</body></html>
`;
}
