/* eslint-disable -- development code, not published: eslint.dev.config.mjs lints it; n8n's node rules do not apply */
/**
 * The chart in docs/performance.md: items per second per peer, at concurrency 1 and 8, over HTTP
 * and HTTPS, and the node's scale curve (items/s and MB per 1,000 items at 1,000 to 50,000 items).
 * Drawn as SVG here, then rendered to PNG by the Chromium that the editor test already needs
 * (playwright-core, a pinned dev dependency), so no image library is added. The bench draws it
 * last, after every figure is printed; without Chromium it says how to get one and keeps the SVG.
 *
 *   node .cache/bench/bench/chart.js <file.svg> <file.png>     (draws a saved SVG)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface ChartGroup {
	/** e.g. "https" */
	title: string;
	/** Bar values per peer, in the order of `peers`. */
	values: number[];
}

export interface ChartPanel {
	kind?: 'bars';
	title: string;
	groups: ChartGroup[];
}

/** Two curves over the run size, each on its own axis: items/s (left) and MB per 1,000 items (right). */
export interface ScalePanel {
	kind: 'scale';
	title: string;
	sizes: number[];
	itemsPerSecond: number[];
	mbPer1000: number[];
}

const COLOURS = ['#d9480f', '#1c7ed6', '#2f9e44', '#868e96', '#ae3ec9'];
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function scalePanel(panel: ScalePanel, left: number, plotTop: number, plotHeight: number, plotWidth: number): string[] {
	const parts: string[] = [];
	const bottom = plotTop + plotHeight;
	const series = [
		{ name: 'items/s', values: panel.itemsPerSecond, colour: COLOURS[0], digits: 0 },
		{ name: 'MB per 1,000 items', values: panel.mbPer1000, colour: COLOURS[1], digits: 1 },
	];
	const x = (i: number) => left + 20 + (i * (plotWidth - 40)) / Math.max(1, panel.sizes.length - 1);
	parts.push(`<line x1="${left}" y1="${bottom}" x2="${left + plotWidth}" y2="${bottom}" stroke="#333"/>`);
	series.forEach((s, k) => {
		const max = Math.max(1e-9, ...s.values) * 1.25;
		const y = (v: number) => bottom - (Math.max(0, v) / max) * plotHeight;
		parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`);
		s.values.forEach((v, i) => {
			parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${s.colour}"/>`);
			parts.push(`<text x="${x(i).toFixed(1)}" y="${(y(v) - 6).toFixed(1)}" font-size="10" text-anchor="middle" fill="${s.colour}">${v.toFixed(s.digits)}</text>`);
		});
		parts.push(`<rect x="${left + 10 + k * 150}" y="${plotTop - 14}" width="10" height="10" fill="${s.colour}"/>`);
		parts.push(`<text x="${left + 24 + k * 150}" y="${plotTop - 5}" font-size="11">${escape(s.name)}</text>`);
	});
	panel.sizes.forEach((size, i) => parts.push(`<text x="${x(i).toFixed(1)}" y="${bottom + 18}" font-size="12" text-anchor="middle">${size.toLocaleString('en-US')}</text>`));
	parts.push(`<text x="${left + plotWidth / 2}" y="${bottom + 44}" font-size="13" font-weight="bold" text-anchor="middle">${escape(panel.title)}</text>`);
	return parts;
}

export function chartSvg(title: string, peers: string[], panels: Array<ChartPanel | ScalePanel>, footnotes: string[]): string {
	const panelWidth = 380;
	const width = panelWidth * panels.length + 20;
	const plotTop = 70;
	const plotHeight = 200;
	const height = plotTop + plotHeight + 70 + 16 * footnotes.length;
	const parts: string[] = [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
		`<rect width="100%" height="100%" fill="#fff"/>`,
		`<text x="${width / 2}" y="24" font-size="16" font-weight="bold" text-anchor="middle">${escape(title)}</text>`,
	];
	peers.forEach((peer, i) => {
		const x = 20 + i * ((width - 40) / peers.length);
		parts.push(`<rect x="${x}" y="38" width="12" height="12" fill="${COLOURS[i % COLOURS.length]}"/>`);
		parts.push(`<text x="${x + 16}" y="49" font-size="12">${escape(peer)}</text>`);
	});
	panels.forEach((panel, p) => {
		const left = 10 + p * panelWidth + 40;
		const plotWidth = panelWidth - 60;
		if (panel.kind === 'scale') {
			parts.push(...scalePanel(panel, left, plotTop + 20, plotHeight - 20, plotWidth));
			return;
		}
		const max = Math.max(1, ...panel.groups.flatMap((g) => g.values)) * 1.15;
		const bottom = plotTop + plotHeight;
		parts.push(`<line x1="${left}" y1="${bottom}" x2="${left + plotWidth}" y2="${bottom}" stroke="#333"/>`);
		parts.push(`<text x="${left + plotWidth / 2}" y="${bottom + 44}" font-size="13" font-weight="bold" text-anchor="middle">${escape(panel.title)}</text>`);
		const groupWidth = plotWidth / panel.groups.length;
		panel.groups.forEach((group, g) => {
			const barWidth = (groupWidth - 20) / group.values.length;
			group.values.forEach((value, b) => {
				const h = (value / max) * plotHeight;
				const x = left + g * groupWidth + 10 + b * barWidth;
				parts.push(`<rect x="${x.toFixed(1)}" y="${(bottom - h).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLOURS[b % COLOURS.length]}"/>`);
				parts.push(`<text x="${(x + barWidth / 2 - 1).toFixed(1)}" y="${(bottom - h - 4).toFixed(1)}" font-size="10" text-anchor="middle">${value.toFixed(value < 100 ? 1 : 0)}</text>`);
			});
			parts.push(`<text x="${left + g * groupWidth + groupWidth / 2}" y="${bottom + 18}" font-size="12" text-anchor="middle">${escape(group.title)}</text>`);
		});
	});
	footnotes.forEach((line, i) => {
		parts.push(`<text x="${width / 2}" y="${height - 10 - 16 * (footnotes.length - 1 - i)}" font-size="11" fill="#555" text-anchor="middle">${escape(line)}</text>`);
	});
	parts.push('</svg>');
	return parts.join('\n');
}

/** What to do when there is no Chromium to draw with: the way .ci/run installs it. */
export const GET_CHROMIUM = "install Debian's chromium (`apt-get install chromium`, as .ci/run does), or set PAYLOCO_CHROMIUM to a Chromium executable";

export class NoBrowserError extends Error {}

/** Renders the SVG to a PNG file with headless Chromium (PAYLOCO_CHROMIUM, default /usr/bin/chromium). */
export async function writePng(svg: string, file: string): Promise<void> {
	const { chromium } = require('playwright-core') as typeof import('playwright-core');
	const executablePath = process.env.PAYLOCO_CHROMIUM || '/usr/bin/chromium';
	if (!existsSync(executablePath)) throw new NoBrowserError(`no Chromium at ${executablePath}`);
	const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
	try {
		const width = Number(/width="(\d+)"/.exec(svg)?.[1] ?? 800);
		const height = Number(/height="(\d+)"/.exec(svg)?.[1] ?? 400);
		const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
		await page.setContent(`<!doctype html><html><body style="margin:0">${svg}</body></html>`);
		writeFileSync(file, await page.screenshot({ type: 'png', clip: { x: 0, y: 0, width, height } }));
	} finally {
		await browser.close();
	}
}

if (require.main === module) {
	const [svgFile, pngFile] = process.argv.slice(2);
	if (!svgFile || !pngFile) {
		console.error('usage: node chart.js <file.svg> <file.png>');
		process.exit(2);
	}
	writePng(readFileSync(svgFile, 'utf8'), pngFile).then(
		() => console.log(`chart: ${pngFile}`),
		(error: unknown) => {
			console.error(error instanceof NoBrowserError ? `chart: not drawn: ${error.message}; ${GET_CHROMIUM}` : error);
			process.exit(1);
		},
	);
}
