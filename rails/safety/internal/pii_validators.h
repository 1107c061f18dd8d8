// Not for use outside rails/safety/.
//
// The checks behind the built-in sensitive-data recognizers, written from the
// standards they implement (each function says which). Pure functions on the
// candidate text: no allocation beyond a small string, no regexes.
#pragma once

#include <string>
#include <string_view>

namespace rg::rails::safety::internal {

// Digits of s only ("4111-1111 1111" -> "411111111111").
std::string digits_only(std::string_view s);

// ISO/IEC 7812-1 Annex B (Luhn mod 10) over a string of digits.
bool luhn_valid(std::string_view digits);
// Issuer identification prefixes and lengths of the networks in use (Visa,
// Mastercard incl. 2221-2720, Amex, Discover, Diners, JCB, UnionPay, Maestro).
bool card_iin_known(std::string_view digits);

// SSA rules for a 9-digit SSN: area not 000, 666 or 900-999; group not 00;
// serial not 0000; not a number the SSA voided after publication
// (078-05-1120, 219-09-9999, 123-45-6789) and not one digit repeated.
bool ssn_valid(std::string_view area, std::string_view group, std::string_view serial);

// ISO 13616: country code known, length as that country's table entry,
// ISO 7064 mod 97-10 check == 1. `compact` is upper case without spaces.
bool iban_valid(std::string_view compact);
// The IBAN length of a country (0 when the country has no IBAN).
int iban_length(std::string_view country);

// RFC 791 dotted quad: four decimal octets 0-255, no leading zeros.
bool ipv4_valid(std::string_view s);
// RFC 4291 section 2.2 text forms: eight groups of 1-4 hex digits, one "::"
// standing for one or more zero groups, an embedded dotted IPv4 tail, an
// optional RFC 4007 zone ("%eth0").
bool ipv6_valid(std::string_view s);

// North American Numbering Plan (NANP) area code / central office code:
// NXX with N in 2-9, not an N11 service code; area codes N9X are reserved.
bool nanp_area_valid(std::string_view three);
bool nanp_exchange_valid(std::string_view three);

// A top-level domain as used in practice: every generic TLD in common use
// and every ISO 3166 two-letter country code TLD. Case-insensitive.
bool tld_known(std::string_view tld);
// The subset that may end a bare host name without "www." or a scheme
// ("example.com"): country TLDs that are also common file extensions
// (.md, .py, .sh, .rs, .cc, .pl, ...) are left out.
bool tld_bare_ok(std::string_view tld);

// Gregorian calendar day check (leap years per the Gregorian rule).
bool date_valid(int year, int month, int day);

}  // namespace rg::rails::safety::internal
