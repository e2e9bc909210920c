package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// How far back a report looks is a period, said as people say it: "7d",
// "2w", "1d12h", "36h". `/contact audit` and `contactbot digest|audit
// --since` read it through ParsePeriod, so Slack and the command line take
// the same forms.

const (
	day  = 24 * time.Hour
	week = 7 * day
	// maxPeriod keeps a period far from time.Duration's limit (about 292
	// years), so that adding its parts cannot overflow.
	maxPeriod = 100 * 366 * day
)

// periodUnits are the units a period is written in; m is minutes, as in Go.
var periodUnits = map[string]time.Duration{
	"w": week, "d": day, "h": time.Hour, "m": time.Minute, "s": time.Second,
	"ms": time.Millisecond, "us": time.Microsecond, "µs": time.Microsecond, "ns": time.Nanosecond,
}

// ErrPeriod is what a period that cannot be read is refused with: its text
// names the forms that work.
var ErrPeriod = errors.New("use a period such as 7d, 2w, 36h or 1d12h (w weeks, d days, h hours, m minutes)")

// ParsePeriod reads a period: numbers each followed by a unit, in any
// combination ("7d", "2w", "1d12h", "1.5h", "90m"; every Go duration), or a
// bare whole number of days ("30", as `/contact audit 30` has always
// taken). A day is 24 hours, a week 7 days. It must be more than zero.
func ParsePeriod(s string) (time.Duration, error) {
	s = strings.ToLower(strings.ReplaceAll(s, " ", ""))
	if s == "" {
		return 0, ErrPeriod
	}
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("a period must be more than zero, got %q", s)
	}
	if n, err := strconv.Atoi(s); err == nil {
		s = strconv.Itoa(n) + "d"
	}
	var total float64
	for rest := s; rest != ""; {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		j := i
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.') {
			j++
		}
		number, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		n, err := strconv.ParseFloat(number, 64)
		size, ok := periodUnits[unit]
		if number == "" || strings.Count(number, ".") > 1 || err != nil || !ok {
			return 0, ErrPeriod
		}
		total += n * float64(size)
		if total > float64(maxPeriod) {
			return 0, fmt.Errorf("%q is too long: at most %d days", s, maxPeriod/day)
		}
	}
	d := time.Duration(total)
	if d <= 0 {
		return 0, fmt.Errorf("a period must be more than zero, got %q", s)
	}
	return d, nil
}

// FormatPeriod writes a period in ParsePeriod's form, shortest first:
// "7d", "36h", "1d30m"; weeks as days ("14d"), as file names and flag
// defaults show them.
func FormatPeriod(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		size time.Duration
		name string
	}{{day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.size; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.size
		}
	}
	if d > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%dns", d)
	}
	return b.String()
}

// PeriodFlag is a period as a command-line flag's value (flag.Value).
type PeriodFlag struct{ D time.Duration }

// String is the period as ParsePeriod reads it.
func (p *PeriodFlag) String() string {
	if p == nil {
		return ""
	}
	return FormatPeriod(p.D)
}

// Set reads a period.
func (p *PeriodFlag) Set(s string) error {
	d, err := ParsePeriod(s)
	if err != nil {
		return err
	}
	p.D = d
	return nil
}
