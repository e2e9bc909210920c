package bot

import "strings"

// currencySymbols are the symbols English readers know without doubt; other
// currencies are written with their ISO code ("CHF 1,250.00"). "$" alone is
// the US dollar only: other dollars carry their country.
var currencySymbols = map[string]string{
	"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹",
	"CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "MXN": "MX$", "BRL": "R$",
}

// money writes an amount the CRM keeps as decimal text ("1250.00", "-3.5",
// "0") in currency code: "$1,250.00", "CHF 1,250.00". Text that is not a
// plain decimal is shown as it is, after the code.
func money(code, amount string) string {
	n := amount
	neg := strings.HasPrefix(n, "-")
	n = strings.TrimPrefix(n, "-")
	whole, frac, _ := strings.Cut(n, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return code + " " + amount
	}
	for len(frac) < 2 {
		frac += "0"
	}
	s := groupDigits(whole) + "." + frac
	if sym, ok := currencySymbols[code]; ok {
		s = sym + s
	} else {
		s = code + " " + s
	}
	if neg {
		s = "-" + s
	}
	return s
}
