package crm

import (
	_ "embed" // unaccent.rules
	"strings"
	"unicode"
	"unicode/utf8"
)

// unaccentRules is PostgreSQL 15's contrib/unaccent/unaccent.rules (PostgreSQL
// Licence), the very table contactbot_fold uses on PostgreSQL: one character,
// a tab, and what it becomes (nothing for combining marks). Folding from the
// same table is what keeps the name words of both dialects equal.
//
//go:embed unaccent.rules
var unaccentRules string

// foldTable maps a character to its unaccented text, as unaccent() does.
var foldTable = func() map[rune]string {
	m := map[rune]string{}
	for _, line := range strings.Split(unaccentRules, "\n") {
		from, to, _ := strings.Cut(strings.TrimRight(line, "\r"), "\t")
		if r := []rune(from); len(r) == 1 {
			m[r[0]] = strings.TrimSpace(to) // as unaccent reads it ("¼\t 1/4")
		}
	}
	return m
}()

// Fold lower-cases s and strips accents ("Zoë Ångström" becomes "zoe
// angstrom", "Łukasz" "lukasz", combining marks are dropped), exactly as the
// SQL function contactbot_fold does on PostgreSQL, lower(unaccent(s)), so
// that name search ignores case and accents alike on every dialect.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < utf8.RuneSelf { // unaccent's rules start above ASCII
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		to, ok := foldTable[r]
		if !ok {
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		for _, t := range to {
			b.WriteRune(unicode.ToLower(t))
		}
	}
	return b.String()
}

// transliterations spell German and Nordic letters the way people type them
// without the letter ("Müller" as "Mueller", "Søren" as "Soeren"), applied to
// lower-case text before folding; decomposed forms (u + U+0308) too. The SQL
// function contactbot_translit (migration 00200) is the same chain.
var transliterations = strings.NewReplacer(
	"ü", "ue", "ö", "oe", "ä", "ae", "ß", "ss", "å", "aa", "ø", "oe", "æ", "ae",
	"u\u0308", "ue", "o\u0308", "oe", "a\u0308", "ae", "a\u030a", "aa",
)

// Transliterate is Fold with German and Nordic letters spelled out: ü→ue,
// ö→oe, ä→ae, ß→ss, å→aa, ø→oe, æ→ae ("Müller" becomes "mueller", where Fold
// gives "muller"). Names are indexed under both spellings.
func Transliterate(s string) string {
	return Fold(transliterations.Replace(strings.ToLower(s)))
}

// apostrophes join the parts of a name such as O'Brien or D’Angelo: the
// name is indexed as "o", "brien" and "obrien", so "obrien" finds it too.
const apostrophes = "'’‘ʼ`´"

func isApostrophe(r rune) bool { return strings.ContainsRune(apostrophes, r) }

// isWordRune reports whether r belongs to a name word: a letter or digit,
// as PostgreSQL's [[:alnum:]], but not an apostrophe (ʼ is a letter).
func isWordRune(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !isApostrophe(r)
}

// NameWords are the words a contact's name is found by, as the name index
// (contacts_name_words) stores them on both dialects: the words of the name
// folded (Fold) and transliterated (Transliterate), and each word written
// with apostrophes also without them. "Siobhán O'Brien" gives siobhan, o,
// brien, obrien; "Jürgen Müller" gives jurgen, muller, juergen, mueller.
func NameWords(first, last string) []string {
	full := first + " " + last
	var out []string
	seen := map[string]bool{}
	add := func(w string) {
		if w != "" && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	for _, form := range []string{Fold(full), Transliterate(full)} {
		for _, token := range strings.FieldsFunc(form, func(r rune) bool { return !isWordRune(r) && !isApostrophe(r) }) {
			parts := strings.FieldsFunc(token, isApostrophe)
			for _, p := range parts {
				add(p)
			}
			if len(parts) > 1 {
				add(strings.Join(parts, ""))
			}
		}
	}
	return out
}

// NamePairs are the pairs of distinct words, each "a b" with a before b in
// byte order, as the pair index (contacts_name_pairs) stores a name's words
// on both dialects: a search for two whole words reads the one list of
// contacts that have both (namePair).
func NamePairs(words []string) []string {
	var out []string
	for i, a := range words {
		for _, b := range words[i+1:] {
			if p := namePair(a, b); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// namePair is the pair-index key of two words, "" when they are the same.
func namePair(a, b string) string {
	switch {
	case a < b:
		return a + " " + b
	case b < a:
		return b + " " + a
	}
	return ""
}

// queryWords splits a search into the folded words it looks for: apostrophes
// join ("o'brien" is "obrien", which every O'Brien is indexed under), any
// other character that is not a letter or digit separates. Accents and case
// are folded (Fold): "Müller" finds Müller and Muller, "mueller" finds Müller
// through its transliterated word.
func queryWords(q string) []string {
	var words []string
	for _, token := range strings.FieldsFunc(Fold(q), func(r rune) bool { return !isWordRune(r) && !isApostrophe(r) }) {
		if w := strings.Join(strings.FieldsFunc(token, isApostrophe), ""); w != "" {
			words = append(words, w)
		}
	}
	return words
}

// nameKeys are the ways a full name is typed in full: its words in order,
// folded or transliterated, apostrophes dropped ("o'brien patrick" →
// "obrien patrick"). A search whose words join to one of them is an exact
// match.
func nameKeys(first, last string) []string {
	plain := strings.Join(queryWords(first+" "+last), " ")
	tr := strings.Join(queryWords(transliterations.Replace(strings.ToLower(first+" "+last))), " ")
	if tr == plain {
		return []string{plain}
	}
	return []string{plain, tr}
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
