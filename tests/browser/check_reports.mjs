// Renders the compare reports in a real browser and checks that the charts
// are honest (docs/compare.md "Charts"):
//  - HTML: every <svg class="chart"> bar's rendered width is
//    plot_width * value / axis_max (the axis starts at 0), within a pixel;
//    the behaviour-change list is cut with "and N more";
//  - Markdown: every ```mermaid block parses and renders with the real
//    Mermaid library, and its bars' heights are proportional to their values
//    (so the y axis starts at 0).
// Usage: node check_reports.mjs CHROMIUM MERMAID_JS REPORT.html REPORT.md... SCREENSHOT_DIR
// Prints one line per check and "N passed, M failed"; exits 1 on a failure.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [chromiumPath, mermaidJs, html, ...rest] = process.argv.slice(2);
const shotDir = rest.pop();
const markdowns = rest;
let passed = 0, failed = 0;
function report(ok, what, why = '') {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${what}${why ? ': ' + why : ''}`);
}

const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });

  // --- HTML report ---
  await page.goto(pathToFileURL(html).href);
  const charts = await page.$$eval('svg.chart', (svgs) => svgs.map((svg) => {
    const axis = Number(svg.dataset.axisMax), plot = Number(svg.dataset.plotWidth);
    const scale = svg.getBoundingClientRect().width / Number(svg.getAttribute('width'));
    const bars = [...svg.querySelectorAll('rect.bar')].map((r) => ({
      value: Number(r.dataset.value), width: r.getBoundingClientRect().width / scale,
    }));
    const ticks = [...svg.querySelectorAll('text')].map((t) => t.textContent);
    return { title: svg.getAttribute('aria-label'), axis, plot, bars, ticks };
  }));
  report(charts.length >= 3, `${basename(html)}: totals and per-scenario charts`, `${charts.length} charts`);
  let worst = { diff: 0 };
  for (const c of charts) {
    const max = Math.max(...c.bars.map((b) => b.value));
    if (!(c.axis >= max) || !c.ticks.includes('0')) {
      report(false, `${basename(html)}: ${c.title}: axis 0..${c.axis}`, `largest value ${max}, ticks ${c.ticks}`);
      continue;
    }
    for (const b of c.bars) {
      // A zero bar is drawn 0 px wide; every other bar in proportion.
      const want = (c.plot * b.value) / c.axis;
      const diff = Math.abs(b.width - want);
      if (diff > worst.diff) worst = { diff, chart: c.title, bar: b, want };
    }
  }
  report(worst.diff <= 1, `${basename(html)}: ${charts.reduce((n, c) => n + c.bars.length, 0)} rendered bars proportional to their values from 0`,
         worst.diff > 1 ? `${worst.chart}: value ${worst.bar.value} drawn ${worst.bar.width.toFixed(1)} px, want ${worst.want.toFixed(1)}` : '');
  const items = await page.$$eval('li', (lis) => lis.map((li) => li.textContent));
  const more = items.filter((t) => /… and [0-9,]+ more/.test(t));
  const perVariant = {};
  for (const t of items) { const v = t.split(':')[0]; perVariant[v] = (perVariant[v] || 0) + 1; }
  report(Object.values(perVariant).every((n) => n <= 13), `${basename(html)}: behaviour changes cut at 12 per variant`,
         `${items.length} items, ${more.length} "and N more" lines`);
  await page.screenshot({ path: join(shotDir, 'report-html.png'), fullPage: false });

  // --- Mermaid blocks of the Markdown reports ---
  for (const md of markdowns) {
    const blocks = [...readFileSync(md, 'utf8').matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
    if (blocks.length === 0) { report(false, `${basename(md)}: has Mermaid charts`, 'none found'); continue; }
    await page.setContent('<!DOCTYPE html><html><body><div id="out"></div></body></html>');
    await page.addScriptTag({ path: mermaidJs });
    const results = await page.evaluate(async (texts) => {
      window.mermaid.initialize({ startOnLoad: false });
      const out = [];
      for (let i = 0; i < texts.length; i++) {
        try {
          await window.mermaid.parse(texts[i]);
          const { svg } = await window.mermaid.render(`chart${i}`, texts[i]);
          const div = document.createElement('div');
          div.innerHTML = svg;
          document.getElementById('out').appendChild(div);
          const values = (texts[i].match(/bar \[([^\]]*)\]/) || ['', ''])[1].split(',').map(Number);
          const rects = [...div.querySelectorAll('g.bar-plot-0 rect')].map((r) => ({
            height: Number(r.getAttribute('height')), y: Number(r.getAttribute('y')), fill: r.getAttribute('fill'),
          }));
          out.push({ ok: true, values, rects });
        } catch (e) {
          out.push({ ok: false, error: String(e && e.message || e) });
        }
      }
      return out;
    }, blocks);
    results.forEach((r, i) => {
      const what = `${basename(md)}: mermaid block ${i + 1}`;
      if (!r.ok) { report(false, `${what} renders`, r.error); return; }
      if (r.rects.length !== r.values.length) {
        report(false, `${what} renders`, `${r.rects.length} bars for ${r.values.length} values`);
        return;
      }
      // Bars stand on the axis (same bottom) and height = a * value + b with
      // |b| within Mermaid's padding (8 px in 11.12): the axis starts at 0.
      // (An axis from near the smallest bar gives b of minus most of the plot.)
      const bottoms = r.rects.map((b) => b.y + b.height);
      const sameBottom = Math.max(...bottoms) - Math.min(...bottoms) < 0.5;
      const hi = r.values.indexOf(Math.max(...r.values)), lo = r.values.indexOf(Math.min(...r.values));
      const hmax = r.rects[hi].height;
      let b = 0;
      if (r.values[hi] > r.values[lo]) {
        const a = (hmax - r.rects[lo].height) / (r.values[hi] - r.values[lo]);
        b = hmax - a * r.values[hi];
      }
      report(sameBottom && Math.abs(b) <= 12, `${what}: ${r.values.length} bars proportional to their values from 0`,
             `zero offset ${b.toFixed(1)} px of ${hmax.toFixed(1)}, bottoms ${sameBottom ? 'aligned' : 'differ'}`);
      report(r.rects.every((b) => b.fill && b.fill.toLowerCase() === '#1f5fbf'), `${what}: bars in the readable blue`,
             `fill ${r.rects[0] && r.rects[0].fill}`);
    });
  }
  await page.screenshot({ path: join(shotDir, 'report-mermaid.png'), fullPage: true });
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
