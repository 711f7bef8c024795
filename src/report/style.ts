/** Inline stylesheet of the status page (no external assets; readable on a laptop screen). */
export const STYLE = `
:root{--fg:#212529;--muted:#6c757d;--line:#e9ecef;--bg:#f8f9fa;--card:#fff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header{padding:16px 28px 8px;background:var(--card);border-bottom:1px solid var(--line)}
h1{margin:0;font-size:20px;font-weight:650}h1 span{color:var(--muted);font-weight:400}
.meta{margin:4px 0 6px;color:var(--muted);font-size:12.5px}.meta a{color:#1971c2}
main{padding:8px 28px 28px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 16px 14px;margin:14px 0;overflow-x:auto}
h2{margin:0 0 10px;font-size:15px;font-weight:650}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:5px 7px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;white-space:nowrap}
thead th{white-space:normal;font-size:11px;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);font-weight:600}
td.num{text-align:right}.sep{border-left:2px solid var(--line)}
td.reason{white-space:normal;color:#495057;font-size:12px;min-width:240px;max-width:420px}
.cnt{color:var(--muted);font-size:11px}td .cnt{display:block}.rate{font-weight:600}
.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12.5px}
.sub{color:var(--muted);font-size:11.5px}
.tp{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600;color:#fff;background:var(--c)}
.badge{display:inline-block;padding:1px 8px;border-radius:4px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.bad{background:#ffe3e3;color:#c92a2a}.badge.good{background:#d3f9d8;color:#2b8a3e}
.badge.neutral{background:#e7f5ff;color:#1864ab}.badge.muted{background:#f1f3f5;color:#868e96}
.on{color:#2b8a3e;font-weight:600}.off{color:#c92a2a;font-weight:600}.muted{color:#868e96}
.note{color:var(--muted);font-size:12.5px;margin:8px 0}.empty{color:var(--muted);font-style:italic}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:18px;margin-top:14px}
.chart{margin:0}.chart figcaption{font-size:12.5px;font-weight:600;margin-bottom:4px}
.legend{font-weight:400;color:var(--muted);margin-left:8px}
.key{margin-right:10px}.key i{display:inline-block;width:10px;height:3px;margin:0 4px 3px 0;vertical-align:middle}
svg .grid{stroke:#edf0f2;stroke-width:1}svg .ax{fill:#868e96;font-size:10px}
svg.bar{vertical-align:middle;margin-right:4px}
`;
