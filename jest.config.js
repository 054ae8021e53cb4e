/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	// tsconfig.json sets isolatedModules, so ts-jest only transpiles, file by file (type-checking every
	// file in every worker cost about half the quick tier's CPU time); `npm run typecheck` checks the
	// types, and npm test and test:quick run it (scripts/test.js).
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
	modulePathIgnorePatterns: ['<rootDir>/.cache/', '<rootDir>/e2e/runtimes/', '<rootDir>/dist/'],
	testMatch: ['<rootDir>/test/**/*.test.ts'],
	// The end-to-end suites start real n8n processes; each file runs in its own worker. The queue-mode
	// suites (a Postgres, a Redis and four n8n processes each) run after the rest (scripts/test.js):
	// in a fresh CI run on 2 cores, queue.e2e overlapping another n8n 2.x suite failed both (503s
	// from the webhook process; a closed socket in the credential test). The two queue suites side
	// by side passed (load 9-18, issue 23).
	maxWorkers: 2,
	reporters: ['default', '<rootDir>/test/summary-reporter.js'],
	testTimeout: 30_000,
};
