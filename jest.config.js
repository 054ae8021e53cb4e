/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
	modulePathIgnorePatterns: ['<rootDir>/.cache/', '<rootDir>/e2e/runtimes/', '<rootDir>/dist/'],
	testMatch: ['<rootDir>/test/**/*.test.ts'],
	// The end-to-end suites start real n8n processes; each file runs in its own worker.
	maxWorkers: 2,
	reporters: ['default', '<rootDir>/test/summary-reporter.js'],
	testTimeout: 30_000,
};
