package crm

import (
	"strings"
	"unicode"
)

// foldTable maps lower-case accented Latin letters to their plain letters,
// as PostgreSQL's unaccent rules do for the names a CRM holds.
var foldTable = func() map[rune]string {
	groups := []struct{ from, to string }{
		{"àáâãäåāăąǎǻȁȃȧạảấầẩẫậắằẳẵặ", "a"},
		{"çćĉċč", "c"},
		{"ďđð", "d"},
		{"èéêëēĕėęěȅȇȩẹẻẽếềểễệ", "e"},
		{"ĝğġģǧ", "g"},
		{"ĥħ", "h"},
		{"ìíîïĩīĭįıǐȉȋịỉ", "i"},
		{"ĵ", "j"},
		{"ķǩ", "k"},
		{"ĺļľŀł", "l"},
		{"ñńņňŉ", "n"},
		{"òóôõöøōŏőǒǿȍȏȯọỏốồổỗộớờởỡợơ", "o"},
		{"ŕŗř", "r"},
		{"śŝşšș", "s"},
		{"ţťŧț", "t"},
		{"ùúûüũūŭůűųǔǖǘǚǜȕȗụủứừửữựư", "u"},
		{"ŵ", "w"},
		{"ýÿŷỳỵỷỹ", "y"},
		{"źżž", "z"},
		{"ß", "ss"}, {"æ", "ae"}, {"œ", "oe"}, {"þ", "th"}, {"ĳ", "ij"},
	}
	m := map[rune]string{}
	for _, g := range groups {
		for _, r := range g.from {
			m[r] = g.to
		}
	}
	return m
}()

// Fold lower-cases s and strips accents from Latin letters ("Zoë Ångström"
// becomes "zoe angstrom"), like the contactbot_fold SQL function, so that name
// search ignores case and accents on every dialect. Combining marks are
// dropped, so decomposed input folds the same as composed input.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = unicode.ToLower(r)
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if to, ok := foldTable[r]; ok {
			b.WriteString(to)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// foldedWords splits a name into its folded words of letters and digits, as
// the name index stores them.
func foldedWords(parts ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range parts {
		for _, w := range strings.FieldsFunc(Fold(p), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// prefixEnd returns the smallest string greater than every string that
// starts with p, so that "k >= p AND k < prefixEnd(p)" is a prefix match an
// index can serve (SQLite's LIKE cannot use an expression index).
func prefixEnd(p string) string {
	r := []rune(p)
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] < unicode.MaxRune {
			r[i]++
			if r[i] >= 0xD800 && r[i] <= 0xDFFF { // surrogates are not runes
				r[i] = 0xE000
			}
			return string(r[:i+1])
		}
	}
	return string(unicode.MaxRune) + string(unicode.MaxRune) // p is all MaxRune: nothing sorts after
}
