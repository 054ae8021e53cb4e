/**
 * ISO 4217 currencies a payment can be in (funds codes and precious metals left out), with their
 * minor-unit digits: PayLoco's `transAmt` is a decimal string and a JPY amount has no decimals.
 */
const TWO_DECIMALS =
	'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL';
const ZERO_DECIMALS = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF';
const THREE_DECIMALS = 'BHD IQD JOD KWD LYD OMR TND';

const MINOR_UNITS = new Map<string, number>([
	...TWO_DECIMALS.split(' ').map((code) => [code, 2] as const),
	...ZERO_DECIMALS.split(' ').map((code) => [code, 0] as const),
	...THREE_DECIMALS.split(' ').map((code) => [code, 3] as const),
]);

export function currencyMinorUnits(code: string): number | undefined {
	return MINOR_UNITS.get(code);
}
