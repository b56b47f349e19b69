// A small line chart of one currency's balance_after over time, drawn as SVG from the
// history's own entries. Numbers are parsed for drawing only; every label shows the API's string.

import { s } from "./dom.js";

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 8, right: 8, top: 18, bottom: 22 };

function day(timestamp) {
  return timestamp.slice(0, 10);
}

/**
 * Draw `entries` (newest first, as the API pages them) into `svg`; returns the sentence that
 * describes the chart for people who cannot see it.
 */
export function drawBalance(svg, currency, entries) {
  const points = [...entries].reverse();
  svg.replaceChildren();
  svg.dataset.points = String(points.length);
  if (points.length === 0) {
    return `${currency}: no entries in the history.`;
  }
  const times = points.map((entry) => Date.parse(entry.timestamp));
  const values = points.map((entry) => Number(entry.balance_after));
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  const [v0, v1] = [Math.min(...values), Math.max(...values)];
  const x = (t) => PAD.left + (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => HEIGHT - PAD.bottom - (v1 === v0 ? 0.5 : (v - v0) / (v1 - v0)) * (HEIGHT - PAD.top - PAD.bottom);
  const path = points.map((_, i) => `${i ? "L" : "M"}${x(times[i]).toFixed(1)},${y(values[i]).toFixed(1)}`).join(" ");
  const highest = points[values.indexOf(v1)].balance_after;
  const lowest = points[values.indexOf(v0)].balance_after;
  const first = points[0];
  const last = points[points.length - 1];
  svg.append(
    s("line", { class: "axis", x1: PAD.left, x2: WIDTH - PAD.right, y1: HEIGHT - PAD.bottom, y2: HEIGHT - PAD.bottom }),
    s("path", { class: "line", d: path }),
    s("circle", { class: "last", cx: x(times.at(-1)).toFixed(1), cy: y(values.at(-1)).toFixed(1), r: 4 }),
    s("text", { x: PAD.left, y: 12 }, `high ${highest}`),
    s("text", { x: WIDTH - PAD.right, y: 12, "text-anchor": "end" }, `now ${last.balance_after}`),
    s("text", { x: PAD.left, y: HEIGHT - 6 }, day(first.timestamp)),
    s("text", { x: WIDTH - PAD.right, y: HEIGHT - 6, "text-anchor": "end" }, day(last.timestamp)),
  );
  return `${currency} over its last ${points.length} entries, ${day(first.timestamp)} to ${day(last.timestamp)}: ` +
    `from ${first.balance_after} to ${last.balance_after} (low ${lowest}, high ${highest}).`;
}
