package crm_test

import (
	"context"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestOpenedViews: a window is found as recorded, for whom it was opened;
// only that person's record changes when the window becomes another; a
// second record of an id replaces the first; records expire.
func TestOpenedViews(t *testing.T) {
	t.Parallel()
	crmtest.ForEachDialect(t, func(t *testing.T, s *crm.Store) {
		ctx := context.Background()
		clock := crmtest.NewClock(time.Now())
		s.SetClock(clock.Now)
		if err := s.RecordView(ctx, "V1", "U1", "contact.delete.modal", time.Hour); err != nil {
			t.Fatal(err)
		}
		want := crm.OpenedView{ViewID: "V1", UserID: "U1", CallbackID: "contact.delete.modal"}
		if v, found, err := s.OpenedViewOf(ctx, "V1"); err != nil || !found || v != want {
			t.Errorf("V1 = %+v, %v, %v; want %+v", v, found, err, want)
		}
		if _, found, err := s.OpenedViewOf(ctx, "V2"); err != nil || found {
			t.Errorf("a window never opened found: %v, %v", found, err)
		}
		if err := s.ViewBecame(ctx, "V1", "U2", "contact.find.modal"); err != nil {
			t.Fatal(err)
		}
		if v, _, _ := s.OpenedViewOf(ctx, "V1"); v != want {
			t.Errorf("someone else changed U1's window: %+v", v)
		}
		if err := s.ViewBecame(ctx, "V1", "U1", "contact.dnd.modal"); err != nil {
			t.Fatal(err)
		}
		want.CallbackID = "contact.dnd.modal"
		if v, _, _ := s.OpenedViewOf(ctx, "V1"); v != want {
			t.Errorf("after the window became Set DND: %+v", v)
		}
		if err := s.RecordView(ctx, "V1", "U3", "contact.find.modal", time.Hour); err != nil {
			t.Fatal(err)
		}
		if v, _, _ := s.OpenedViewOf(ctx, "V1"); v.UserID != "U3" || v.CallbackID != "contact.find.modal" {
			t.Errorf("recorded again: %+v", v)
		}
		clock.Advance(time.Hour)
		if _, found, err := s.OpenedViewOf(ctx, "V1"); err != nil || found {
			t.Errorf("an expired window found: %v, %v", found, err)
		}
	})
}
