package crm

import (
	"slices"
	"strings"
	"time"
	"unicode"
)

// batchExample is the filter every refusal of ParseBatchFilter shows.
const batchExample = "For example: `/contact cleanup email:test+*@acme.com created:2026-11-01..2026-11-28` (terms: email:, name:, source:, created:, location:)."

// batchDay is how created: days are written.
const batchDay = "2006-01-02"

// maxBatchFilter bounds the text of a filter: a few terms.
const maxBatchFilter = 500

func badFilter(format string, args ...any) *Error {
	e := Errorf(EINVALID, format, args...)
	e.Message += " " + batchExample
	return e
}

// ParseBatchFilter reads a filter typed after `/contact cleanup`: terms
// email:, name:, source:, created: (2026-11-01..2026-11-28 or one day) and
// location:, separated by spaces, combined with AND. A value with spaces is
// written in double quotes (source:"Facebook ads"). Bad input, an unknown
// or repeated term, or no term at all is an *Error EINVALID whose message
// shows an example.
func ParseBatchFilter(text string) (BatchFilter, error) {
	var f BatchFilter
	if len(text) > maxBatchFilter {
		return f, badFilter("This filter is too long: use at most %d characters.", maxBatchFilter)
	}
	terms, err := splitTerms(text)
	if err != nil {
		return f, err
	}
	if len(terms) == 0 {
		return f, badFilter("Say which contacts to clean up: give at least one term.")
	}
	seen := map[string]bool{}
	for _, t := range terms {
		key, value := t[0], t[1]
		if seen[key] {
			return f, badFilter("The term %s: appears twice; give each term once (terms combine with AND).", key)
		}
		seen[key] = true
		if value == "" {
			return f, badFilter("The term %s: needs a value.", key)
		}
		switch key {
		case "email":
			if f.Email, err = parseEmailTerm(value); err != nil {
				return f, err
			}
		case "name":
			w := queryWords(value)
			if len(w) != 1 || !slices.Equal(queryWords(w[0]), w) {
				return f, badFilter("name: takes one word of the name, such as name:test.")
			}
			f.Name = w[0]
		case "source":
			f.Source = value
		case "location":
			f.Location = value
		case "created":
			if f.CreatedFrom, f.CreatedTo, err = parseCreated(value); err != nil {
				return f, err
			}
		default:
			return f, badFilter("There is no term %s:.", key)
		}
	}
	return f, nil
}

// splitTerms splits text into key:value pairs; a value may be quoted, with
// \" and \\ inside.
func splitTerms(text string) ([][2]string, error) {
	var out [][2]string
	r := []rune(text)
	i := 0
	for {
		for i < len(r) && unicode.IsSpace(r[i]) {
			i++
		}
		if i == len(r) {
			return out, nil
		}
		start := i
		for i < len(r) && r[i] != ':' && !unicode.IsSpace(r[i]) {
			i++
		}
		if i == len(r) || r[i] != ':' {
			return nil, badFilter("%q is not a term: write each term as name:value.", string(r[start:i]))
		}
		key := strings.ToLower(string(r[start:i]))
		i++ // the colon
		var value strings.Builder
		if i < len(r) && r[i] == '"' {
			i++
			closed := false
			for i < len(r) {
				c := r[i]
				if c == '\\' && i+1 < len(r) && (r[i+1] == '"' || r[i+1] == '\\') {
					value.WriteRune(r[i+1])
					i += 2
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				value.WriteRune(c)
				i++
			}
			if !closed {
				return nil, badFilter("The quoted value of %s: has no closing quote.", key)
			}
			if i < len(r) && !unicode.IsSpace(r[i]) {
				return nil, badFilter("Leave a space after the quoted value of %s:.", key)
			}
		} else {
			for i < len(r) && !unicode.IsSpace(r[i]) {
				value.WriteRune(r[i])
				i++
			}
		}
		v := value.String()
		if strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return nil, badFilter("The value of %s: has a control character.", key)
		}
		out = append(out, [2]string{key, strings.TrimSpace(v)})
	}
}

// parseEmailTerm checks an address or pattern and lower-cases it.
func parseEmailTerm(v string) (string, error) {
	v = strings.ToLower(v)
	if strings.IndexFunc(v, unicode.IsSpace) >= 0 {
		return "", badFilter("email: takes an address or a pattern without spaces, such as email:*@qa.example.com.")
	}
	for strings.Contains(v, "**") {
		v = strings.ReplaceAll(v, "**", "*")
	}
	if strings.Trim(v, "*") == "" || strings.Trim(v, "*@.") == "" {
		return "", badFilter("email:%s would match every address: say which, such as email:*@qa.example.com.", v)
	}
	// A pattern open at both ends reads every address (no index serves
	// it): seconds on a million contacts, past what Slack waits.
	if strings.HasPrefix(v, "*") && strings.HasSuffix(v, "*") {
		return "", badFilter("email:%s is open at both ends: give how the addresses start or end, such as email:test+*@acme.com or email:*@qa.example.com.", v)
	}
	return v, nil
}

// parseCreated reads "2026-11-01..2026-11-28", "2026-11-01.." (from),
// "..2026-11-28" (until) or one day.
func parseCreated(v string) (from, to time.Time, err error) {
	bad := badFilter("created: takes a day or a range of days, such as created:2026-11-01..2026-11-28 or created:2026-11-28.")
	day := func(s string) (time.Time, bool) {
		if s == "" {
			return time.Time{}, true
		}
		t, err := time.Parse(batchDay, s)
		return t, err == nil && t.Format(batchDay) == s
	}
	a, b, isRange := strings.Cut(v, "..")
	if !isRange {
		t, ok := day(v)
		if !ok || t.IsZero() {
			return from, to, bad
		}
		return t, t, nil
	}
	var okA, okB bool
	from, okA = day(a)
	to, okB = day(b)
	if !okA || !okB || (from.IsZero() && to.IsZero()) {
		return time.Time{}, time.Time{}, bad
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return time.Time{}, time.Time{}, badFilter("created:%s ends before it starts: write the earlier day first.", v)
	}
	return from, to, nil
}

// String is the filter's canonical text, which ParseBatchFilter reads back
// to the same filter: shown in windows, approvals and the audit trail.
func (f BatchFilter) String() string {
	var terms []string
	add := func(key, v string) {
		if v != "" {
			terms = append(terms, key+":"+quoteTerm(v))
		}
	}
	add("email", f.Email)
	add("name", f.Name)
	add("source", f.Source)
	if !f.CreatedFrom.IsZero() || !f.CreatedTo.IsZero() {
		switch {
		case f.CreatedFrom.Equal(f.CreatedTo):
			terms = append(terms, "created:"+f.CreatedFrom.Format(batchDay))
		default:
			var a, b string
			if !f.CreatedFrom.IsZero() {
				a = f.CreatedFrom.Format(batchDay)
			}
			if !f.CreatedTo.IsZero() {
				b = f.CreatedTo.Format(batchDay)
			}
			terms = append(terms, "created:"+a+".."+b)
		}
	}
	add("location", f.Location)
	return strings.Join(terms, " ")
}

// quoteTerm quotes a value that splitTerms would not read back as it is.
func quoteTerm(v string) string {
	if v != "" && !strings.ContainsAny(v, "\"\\") && v[0] != '"' && strings.IndexFunc(v, unicode.IsSpace) < 0 {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(v) + `"`
}
