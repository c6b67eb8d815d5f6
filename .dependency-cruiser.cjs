// `npm run lint:layers`: the layering of the monorepo, checked (rules in tools/layering/rules.cjs).
const { join } = require('node:path');
const { layeringRules } = require('./tools/layering/rules.cjs');

module.exports = {
  forbidden: layeringRules(join(__dirname, 'packages')),
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules|test|bench|examples)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.layering.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
