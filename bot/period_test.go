package bot

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestParsePeriod: days, weeks and their combinations with Go's units read
// as people mean them; a bare number is days; anything else is refused
// with the error that names the forms that work.
func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"7d":       7 * 24 * time.Hour,
		"2w":       14 * 24 * time.Hour,
		"1d12h":    36 * time.Hour,
		"1w2d":     9 * 24 * time.Hour,
		"168h":     168 * time.Hour,
		"90m":      90 * time.Minute,
		"1h30m":    90 * time.Minute,
		"1.5h":     90 * time.Minute,
		"0.5d":     12 * time.Hour,
		"30":       30 * 24 * time.Hour,
		" 7D ":     7 * 24 * time.Hour,
		"1d 12h":   36 * time.Hour,
		"1500ms":   1500 * time.Millisecond,
		"36500d":   36500 * 24 * time.Hour,
		"2w3d4h5m": (17*24+4)*time.Hour + 5*time.Minute,
	} {
		got, err := ParsePeriod(in)
		if err != nil || got != want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":        ErrPeriod.Error(),
		"7x":      ErrPeriod.Error(),
		"week":    ErrPeriod.Error(),
		"d":       ErrPeriod.Error(),
		"7":       "",
		"-7d":     `a period must be more than zero, got "-7d"`,
		"1..5h":   ErrPeriod.Error(),
		"7d3":     ErrPeriod.Error(),
		"0d":      `a period must be more than zero, got "0d"`,
		"0":       `a period must be more than zero, got "0d"`,
		"99999w":  `"99999w" is too long: at most 36600 days`,
		"1e9999d": ErrPeriod.Error(),
	} {
		_, err := ParsePeriod(in)
		switch {
		case want == "" && err != nil:
			t.Errorf("ParsePeriod(%q): %v", in, err)
		case want != "" && (err == nil || err.Error() != want):
			t.Errorf("ParsePeriod(%q) = %v, want %q", in, err, want)
		}
	}
	if !strings.Contains(ErrPeriod.Error(), "7d, 2w, 36h or 1d12h") {
		t.Errorf("the error names no examples: %v", ErrPeriod)
	}
}

// TestFormatPeriod: what FormatPeriod writes, ParsePeriod reads back.
func TestFormatPeriod(t *testing.T) {
	for d, want := range map[time.Duration]string{
		7 * 24 * time.Hour:      "7d",
		36 * time.Hour:          "1d12h",
		90 * time.Minute:        "1h30m",
		720 * time.Hour:         "30d",
		1500 * time.Millisecond: "1s500000000ns",
	} {
		if got := FormatPeriod(d); got != want {
			t.Errorf("FormatPeriod(%v) = %q, want %q", d, got, want)
		}
		if back, err := ParsePeriod(FormatPeriod(d)); err != nil || back != d {
			t.Errorf("ParsePeriod(FormatPeriod(%v)) = %v, %v", d, back, err)
		}
	}
}

// FuzzParsePeriod: any text is read or refused, never panics; what is read
// is more than zero and within the bound, and reads back the same.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"7d", "2w", "1d12h", "30", "1.5h", "0", "-1d", "99999999999999999999d", "1e3d", "µs", "3µs"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParsePeriod(s)
		if err != nil {
			if d != 0 {
				t.Errorf("ParsePeriod(%q) = %v with error %v", s, d, err)
			}
			return
		}
		if d <= 0 || d > maxPeriod {
			t.Errorf("ParsePeriod(%q) = %v, out of bounds", s, d)
		}
		if back, err := ParsePeriod(FormatPeriod(d)); err != nil || back != d {
			t.Errorf("ParsePeriod(FormatPeriod(%v)) = %v, %v", d, back, err)
		}
		var p PeriodFlag
		if err := p.Set(s); err != nil || p.D != d || errors.Is(err, ErrPeriod) {
			t.Errorf("PeriodFlag.Set(%q) = %v, %v", s, p.D, err)
		}
	})
}
