import { loadReferenceData } from './src/reference/value-sets.ts';
const t = performance.now();
const r = loadReferenceData();
console.log('load ms', performance.now() - t);
for (const [k, v] of r.valueSets) console.log(k, v.name, v.concepts.length, v.concepts.slice(0,2).map(c=>c.system+'|'+c.code).join(' '));
console.log('X16', r.typeToClassDmp.size, 'X04', r.typeToClassCisis.size, 'A11', r.templateToFormat.size, [...r.templateToFormat].slice(0, 60));
