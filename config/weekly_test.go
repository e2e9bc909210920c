package config

import (
	"testing"
	"time"
)

func TestWeekly(t *testing.T) {
	w, err := ParseWeekly("mon 09:00")
	if err != nil || w != (Weekly{Day: time.Monday, Hour: 9}) || w.String() != "Mon 09:00" {
		t.Fatalf("ParseWeekly = %+v %q, %v", w, w.String(), err)
	}
	if c := mustLoad(t, map[string]string{"APPROVALS_CHANNEL": "C0APPROVE"}); c.DigestTo() != "C0APPROVE" || c.DigestAt != DefaultDigestAt {
		t.Errorf("digest defaults: %s at %s", c.DigestTo(), c.DigestAt)
	}
	mon := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // a Monday
	for _, tt := range []struct {
		now, want time.Time
	}{
		{mon.Add(-time.Hour), mon},                                       // earlier that Monday
		{mon, mon.AddDate(0, 0, 7)},                                      // at the time: the next week
		{mon.Add(time.Minute), mon.AddDate(0, 0, 7)},                     // just after
		{mon.AddDate(0, 0, -3), mon},                                     // Friday before
		{mon.AddDate(0, 0, 6).Add(23 * time.Hour), mon.AddDate(0, 0, 7)}, // Sunday night
		{mon.In(time.FixedZone("X", -10*3600)).Add(-time.Hour), mon},     // any zone: UTC counts
	} {
		if got := w.Next(tt.now); !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("Next(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
	fri, _ := ParseWeekly("Friday 16:30")
	if got := fri.Next(mon); !got.Equal(time.Date(2026, 11, 27, 16, 30, 0, 0, time.UTC)) {
		t.Errorf("Friday 16:30 after a Monday = %v", got)
	}
}

func mustLoad(t *testing.T, env map[string]string) *Config {
	t.Helper()
	c, err := Load(env)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
