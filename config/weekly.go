package config

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Weekly is a time of the week in UTC, such as DIGEST_AT's "Mon 09:00".
type Weekly struct {
	Day          time.Weekday
	Hour, Minute int
}

// weekdays accepts each day's English name and its first three letters.
var weekdays = map[string]time.Weekday{}

func init() {
	for d := time.Sunday; d <= time.Saturday; d++ {
		weekdays[strings.ToLower(d.String())] = d
		weekdays[strings.ToLower(d.String()[:3])] = d
	}
}

// ParseWeekly reads "Mon 09:00" (a day, then a 24-hour time in UTC; day
// names in any case, short or long).
func ParseWeekly(s string) (Weekly, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return Weekly{}, errors.New(`use a day and a UTC time, e.g. "Mon 09:00"`)
	}
	day, ok := weekdays[strings.ToLower(f[0])]
	if !ok {
		return Weekly{}, fmt.Errorf("%q is not a day of the week (Mon, Tue, … Sun)", f[0])
	}
	t, err := time.Parse("15:04", f[1])
	if err != nil {
		return Weekly{}, fmt.Errorf("%q is not a time of day (HH:MM, 24-hour, UTC)", f[1])
	}
	return Weekly{Day: day, Hour: t.Hour(), Minute: t.Minute()}, nil
}

// String writes w as ParseWeekly reads it: "Mon 09:00".
func (w Weekly) String() string {
	return fmt.Sprintf("%s %02d:%02d", w.Day.String()[:3], w.Hour, w.Minute)
}

// Next is the first time after now that w falls on.
func (w Weekly) Next(now time.Time) time.Time {
	now = now.UTC()
	at := time.Date(now.Year(), now.Month(), now.Day(), w.Hour, w.Minute, 0, 0, time.UTC)
	at = at.AddDate(0, 0, (int(w.Day)-int(at.Weekday())+7)%7)
	if !at.After(now) {
		at = at.AddDate(0, 0, 7)
	}
	return at
}
