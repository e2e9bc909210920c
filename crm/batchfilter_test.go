package crm

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseBatchFilter: parsing never panics; a filter it accepts has a
// term, and its String() reads back to the same filter (and the same text);
// a refusal is an *Error EINVALID that shows an example; the WHERE clause
// of every dialect has one placeholder per argument.
func FuzzParseBatchFilter(f *testing.F) {
	for _, s := range []string{
		"email:*@qa.example.com", "email:test+*@acme.com", "name:test", "source:import-2026-11-28", "created:2026-11-01..2026-11-28",
		"created:2026-11-28", "created:..2026-11-28", "created:2026-11-01..", "location:loc_1 email:Jane@Example.com", `source:"Facebook ads"`,
		`source:"a \"b\" \\c"`, "email:*", "email:*@*", "name:two words", "name:Müller", "NAME:o'brien", "foo:bar", "email:a email:b",
		"created:2026-02-30", "created:2026-11-28..2026-11-01", "", " ", "email:", `source:"open`, "email:%_\\", "name:ǅ", "\x00", "source:İ",
	} {
		f.Add(s)
	}
	stores := []*Store{{dialect: Postgres}, {dialect: SQLite}}
	f.Fuzz(func(t *testing.T, text string) {
		bf, err := ParseBatchFilter(text)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Code != EINVALID || !strings.Contains(e.Message, "/contact cleanup") {
				t.Fatalf("%q: refusal %v is no EINVALID with an example", text, err)
			}
			return
		}
		if bf.IsZero() {
			t.Fatalf("%q: accepted a filter with no term", text)
		}
		back, err := ParseBatchFilter(bf.String())
		if err != nil || back != bf {
			t.Fatalf("%q: String() %q reads back as %+v, %v; want %+v", text, bf.String(), back, err, bf)
		}
		if back.String() != bf.String() {
			t.Fatalf("%q: String() is not canonical: %q then %q", text, bf.String(), back.String())
		}
		for _, s := range stores {
			where, args := s.batchWhere(bf)
			if n := strings.Count(where, "?"); n != len(args) {
				t.Fatalf("%s %q: %d placeholders, %d arguments in %s", s.dialect, text, n, len(args), where)
			}
		}
	})
}

func TestParseBatchFilter(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	for _, c := range []struct {
		in   string
		want BatchFilter
		text string
	}{
		{"email:*@QA.example.com", BatchFilter{Email: "*@qa.example.com"}, "email:*@qa.example.com"},
		{"name:Test  source:import-2026-11-28", BatchFilter{Name: "test", Source: "import-2026-11-28"}, "name:test source:import-2026-11-28"},
		{"location:loc_1 created:2026-11-01..2026-11-28", BatchFilter{Location: "loc_1", CreatedFrom: day("2026-11-01"), CreatedTo: day("2026-11-28")}, "created:2026-11-01..2026-11-28 location:loc_1"},
		{"created:2026-11-28", BatchFilter{CreatedFrom: day("2026-11-28"), CreatedTo: day("2026-11-28")}, "created:2026-11-28"},
		{`source:"Facebook ads"`, BatchFilter{Source: "Facebook ads"}, `source:"Facebook ads"`},
	} {
		got, err := ParseBatchFilter(c.in)
		if err != nil || got != c.want || got.String() != c.text {
			t.Errorf("ParseBatchFilter(%q) = %+v (%q), %v; want %+v (%q)", c.in, got, got.String(), err, c.want, c.text)
		}
	}
	for _, bad := range []string{"", "test", "email:*", "email:*@*", "name:two words", "foo:bar", "email:a email:b", "created:2026-02-30",
		"created:2026-11-28..2026-11-01", "created:..", `source:"open`, "email:*test*"} {
		if _, err := ParseBatchFilter(bad); ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "email:test+*@acme.com") {
			t.Errorf("ParseBatchFilter(%q) = %v, want EINVALID with an example", bad, err)
		}
	}
}

func TestEmailPatternWhere(t *testing.T) {
	for _, c := range []struct {
		d        Dialect
		pattern  string
		where    string
		firstArg string
	}{
		{Postgres, "jane@acme.com", "c.email IS NOT NULL AND lower(c.email) = ?", "jane@acme.com"},
		{Postgres, "test+*@acme.com", `c.email IS NOT NULL AND lower(c.email) LIKE ? ESCAPE '\'`, "test+%@acme.com"},
		{Postgres, "*@qa_1.example.com", `c.email IS NOT NULL AND reverse(lower(c.email)) LIKE ? ESCAPE '\'`, `moc.elpmaxe.1\_aq@%`},
		{SQLite, "test+*@acme.com", `c.email IS NOT NULL AND lower(c.email) LIKE ? ESCAPE '\' AND lower(c.email) >= ? AND lower(c.email) < ?`, "test+%@acme.com"},
	} {
		where, args := c.d.emailPatternWhere(c.pattern)
		if where != c.where || args[0] != c.firstArg {
			t.Errorf("%s %q: %s %v", c.d, c.pattern, where, args)
		}
	}
}
