package bot

import "testing"

func TestMoney(t *testing.T) {
	for _, c := range []struct{ code, amount, want string }{
		{"USD", "1250.00", "$1,250.00"},
		{"USD", "0", "$0.00"},
		{"EUR", "-3.5", "-€3.50"},
		{"GBP", "999.99", "£999.99"},
		{"CHF", "1234567.89", "CHF 1,234,567.89"},
		{"CAD", "100.00", "CA$100.00"},
		{"USD", "n/a", "USD n/a"},
		{"USD", "", "USD "},
	} {
		if got := money(c.code, c.amount); got != c.want {
			t.Errorf("money(%q, %q) = %q, want %q", c.code, c.amount, got, c.want)
		}
	}
}
