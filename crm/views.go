package crm

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// OpenedView is a Slack window (view) the bot opened: for whom, and which
// window it is now (its callback id).
type OpenedView struct {
	ViewID     string `db:"view_id"`
	UserID     string `db:"user_id"`
	CallbackID string `db:"callback_id"`
}

// sweepViewsEvery is how many recorded windows go between two deletions of
// expired ones.
const sweepViewsEvery = 100

var viewInserts atomic.Int64

// RecordView remembers that the bot opened the window viewID (Slack's id,
// from views.open or views.push) for user, as callbackID, for keep. Slack
// never reuses a view id, so a second record of one replaces the first
// (the shell's ids restart with each session).
func (s *Store) RecordView(ctx context.Context, viewID, user, callbackID string, keep time.Duration) error {
	now := s.now().UTC()
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO opened_views (view_id, user_id, callback_id, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (view_id) DO UPDATE SET user_id = excluded.user_id, callback_id = excluded.callback_id, expires_at = excluded.expires_at`),
		viewID, user, callbackID, now.Add(keep)); err != nil {
		return fmt.Errorf("record opened window: %w", err)
	}
	if viewInserts.Add(1)%sweepViewsEvery == 0 {
		// Best effort: a failed sweep is retried by a later one.
		_, _ = s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM opened_views WHERE expires_at <= ?`), now)
	}
	return nil
}

// ViewBecame records that user's window viewID is now the window
// callbackID (the bot replaced it). A window recorded for anyone else, or
// not at all, is left alone: the id comes from a payload.
func (s *Store) ViewBecame(ctx context.Context, viewID, user, callbackID string) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE opened_views SET callback_id = ? WHERE view_id = ? AND user_id = ? AND expires_at > ?`),
		callbackID, viewID, user, s.now().UTC()); err != nil {
		return fmt.Errorf("record replaced window: %w", err)
	}
	return nil
}

// OpenedViewOf returns the window viewID as recorded; found is false for
// an id the bot did not open, or opened too long ago.
func (s *Store) OpenedViewOf(ctx context.Context, viewID string) (v OpenedView, found bool, err error) {
	var list []OpenedView
	if err := s.db.SelectContext(ctx, &list, s.db.Rebind(`SELECT view_id, user_id, callback_id FROM opened_views WHERE view_id = ? AND expires_at > ?`),
		viewID, s.now().UTC()); err != nil {
		return v, false, fmt.Errorf("look up opened window: %w", err)
	}
	if len(list) == 0 {
		return v, false, nil
	}
	return list[0], true, nil
}
