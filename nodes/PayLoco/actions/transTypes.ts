/**
 * PayLoco's transType list, shared by Card > Cancel and Payment > Query Transaction (and kept in
 * step with the sandbox's list). PAY is for payment cards, VCC for virtual credit cards.
 */
export const TRANS_TYPES = [
	'PAY',
	'CREDIT_CARD',
	'3D_PREAUTH_VOIDS',
	'3D_PREAUTH_COMPLETION',
	'REFUND',
	'VOIDS',
	'QUERY',
	'TRANSFER',
	'DOWNLOAD',
	'REGISTRATION',
	'FILEUPLOAD',
	'INQUIRYREGISTRATIONSTATUS',
	'AUTHORIZE',
	'VCC',
] as const;

/** What the seed page says PAY and VCC are for; the other codes are shown as they are. */
const TRANS_TYPE_NAMES: Partial<Record<(typeof TRANS_TYPES)[number], string>> = {
	PAY: 'PAY (Payment Transactions)',
	VCC: 'VCC (VCC Card Transactions)',
};

/** The Transaction Type dropdown: alphabetical, as n8n lists long option lists (Query Transaction). */
export const TRANS_TYPE_OPTIONS = [...TRANS_TYPES].sort().map((value) => ({ name: TRANS_TYPE_NAMES[value] ?? value, value }));

/**
 * Cancel Card's dropdown: the two a card cancellation uses come first, each saying when to use it,
 * so nobody has to read thirteen codes to find them; the rest follow alphabetically.
 */
export const CANCEL_TRANS_TYPE_OPTIONS = [
	{ name: 'PAY (Payment Transactions)', value: 'PAY', description: 'Use this for a payment card: the usual choice' },
	{ name: 'VCC (VCC Card Transactions)', value: 'VCC', description: 'Use this for a virtual credit card (VCC)' },
	...TRANS_TYPE_OPTIONS.filter((o) => o.value !== 'PAY' && o.value !== 'VCC').map((o) => ({
		...o,
		description: 'Only when PayLoco tells you to use this transType for your cards',
	})),
];
