package words

import "testing"

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0 notes"}, {1, "1 note"}, {2, "2 notes"}, {-1, "-1 notes"}} {
		if got := Plural(c.n, "note", "notes"); got != c.want {
			t.Errorf("Plural(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestSpaced(t *testing.T) {
	if got := Spaced("suppression_removal_requested"); got != "suppression removal requested" {
		t.Errorf("Spaced = %q", got)
	}
}

func TestCut(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{{"short", 10, "short"}, {"exactly", 7, "exactly"}, {"too long", 5, "too …"}, {"Müller-Lüdenscheidt", 7, "Müller…"}} {
		if got := Cut(c.s, c.n); got != c.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}
