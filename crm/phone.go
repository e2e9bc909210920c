package crm

import (
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// maxPhoneKey is how many trailing digits a phone key keeps when the
// number cannot be parsed: ten, the national number of most countries.
const maxPhoneKey = 10

// ValidPhoneCountry reports whether country is a region the phone library
// knows (ISO 3166 alpha-2, upper case, e.g. "DE", "GB", "US").
func ValidPhoneCountry(country string) bool {
	return country != "" && phonenumbers.GetCountryCodeForRegion(country) != 0
}

// SetPhoneCountry sets the country whose national numbers are typed and
// stored without a country code (DEFAULT_PHONE_COUNTRY): its trunk prefix
// is then read as the library's metadata says ("030 901820" in DE, "8 495 …"
// in RU, "1 555 …" in US). Empty: numbers without a country code lose their
// leading zeros, the trunk prefix of most countries.
func (s *Store) SetPhoneCountry(country string) error {
	if country != "" && !ValidPhoneCountry(country) {
		return Errorf(EINVALID, "%q is not a country code the phone library knows; use an ISO 3166 two-letter code such as DE, GB or US.", country)
	}
	s.phoneCountry = country
	return nil
}

// PhoneKey is the store's NationalNumber: with its default country.
func (s *Store) PhoneKey(phone string) string { return NationalNumber(phone, s.phoneCountry) }

// NationalNumber returns the digits of phone's national significant number:
// what is left of the number without its country code, international
// prefix or trunk prefix, so "+49 30 901820", "0049 30 901820" and
// "030 901820" all give "30901820", and "+1 (555) 010-2233" and
// "555.010.2233" give "5550102233". country (ISO 3166 alpha-2, may be
// empty) is the country of numbers written without a country code. Numbers
// are compared by it: a stored number matches when its digits end with the
// query's national number. Empty when phone has no digits.
func NationalNumber(phone, country string) string {
	type key struct{ phone, country string }
	k := key{phone, country}
	nationalCache.Lock()
	n, ok := nationalCache.m[k]
	nationalCache.Unlock()
	if ok {
		return n
	}
	n = nationalNumber(phone, country)
	nationalCache.Lock()
	if len(nationalCache.m) >= nationalCacheSize || nationalCache.m == nil {
		nationalCache.m = map[any]string{} // start over rather than track age
	}
	nationalCache.m[k] = n
	nationalCache.Unlock()
	return n
}

// nationalCache remembers recent national numbers: parsing takes the phone
// library 8–30 µs, and a search result asks for every shown contact's
// number (its duplicates) again and again.
var nationalCache struct {
	sync.Mutex
	m map[any]string
}

const nationalCacheSize = 10000

func nationalNumber(phone, country string) string {
	digits := PhoneDigits(phone)
	if digits == "" {
		return ""
	}
	trimmed := strings.TrimSpace(phone)
	international := strings.HasPrefix(trimmed, "+") || strings.HasPrefix(digits, "00")
	if international || country != "" {
		region := country
		if region == "" || strings.HasPrefix(trimmed, "+") {
			region = "ZZ" // the number carries its country code
			if !strings.HasPrefix(trimmed, "+") {
				trimmed = "+" + digits[2:] // 00, the international prefix of most countries
			}
		}
		if n, err := phonenumbers.Parse(trimmed, region); err == nil {
			// The key is compared with the end of a stored number's digits,
			// so it must be one: not a vanity number's letters turned into
			// digits ("+1 800 FLOWERS").
			if nsn := phonenumbers.GetNationalSignificantNumber(n); nsn != "" && strings.HasSuffix(digits, nsn) {
				return nsn
			}
		}
	}
	// No country to read it by: drop the trunk or international prefix
	// zeros; a longer number keeps its last ten digits, as a national number
	// of most countries (the country code, e.g. NANP's 1, is cut off).
	d := strings.TrimLeft(digits, "0")
	if d == "" {
		d = digits
	}
	if len(d) > maxPhoneKey {
		d = d[len(d)-maxPhoneKey:]
	}
	return d
}

// PhoneDigits returns the digits of a phone number as entered.
func PhoneDigits(phone string) string {
	var b strings.Builder
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// phoneKeyRange is the range of reversed-digit keys (contactbot_phone_key)
// of numbers whose digits end with key: the key reversed, as a prefix.
func phoneKeyRange(key string) (lo, hi string) {
	lo = reverse(key)
	return lo, prefixEnd(lo)
}
