import { writeFileSync } from 'node:fs';
import { worldModelReportSection } from '../src/index';
const html = worldModelReportSection(process.argv[2]);
writeFileSync('/tmp/wm/report.html', html);
const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
svgs.forEach((s, i) => writeFileSync(`/tmp/wm/svg-${String(i).padStart(2, '0')}.svg`, s));
console.log(svgs.length, 'svgs');
