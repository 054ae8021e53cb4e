// The project's own lint for development code: tests, bench, sandbox, scripts, the e2e harness and
// the root config files. eslint.config.mjs must stay n8n's default (strict mode), and that default
// applies n8n's node rules to every .ts file; development code needs process, timers, console and
// node: imports, so it carries a file-level `/* eslint-disable */` for n8n's lint and is held to
// these rules instead. `npm run lint` runs this config with --no-inline-config, so that header
// (or any other inline directive) cannot switch a rule off here.
import js from '@eslint/js';
import { globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
	// nodes/ and credentials/ are published code: n8n's default config lints them.
	globalIgnores(['nodes', 'credentials', 'dist', '.cache', 'coverage', 'test-artifacts', 'e2e/runtimes', '.sandbox-keys']),
	{
		files: ['**/*.ts'],
		extends: [js.configs.recommended, tseslint.configs.recommended],
		rules: { '@typescript-eslint/no-require-imports': 'off' },
	},
	{
		files: ['**/*.js', '**/*.mjs'],
		extends: [js.configs.recommended],
		languageOptions: { globals: globals.node },
	},
	{ files: ['**/*.js'], languageOptions: { sourceType: 'commonjs' } },
	// Exceptions live here, not in inline comments (which this lint does not read), one per reason.
	// The sandbox tests read gateway answers loosely; each asserts only the fields it cares about.
	{ files: ['test/sandbox.test.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
	// The n8n CLI output is stripped of its ANSI color codes, which start with the ESC character.
	{ files: ['test/e2e/secrets.e2e.test.ts'], rules: { 'no-control-regex': 'off' } },
);
