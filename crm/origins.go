package crm

import (
	"context"
	"fmt"
	"time"
)

// MessageOrigin is a Slack message the "Find contacts in this message"
// shortcut was used on, as Slack's own payload named it when the shortcut
// ran. Clients later refer to it by ID only.
type MessageOrigin struct {
	ID        string `db:"id"`
	UserID    string `db:"user_id"`
	Channel   string `db:"channel"`
	MessageTS string `db:"message_ts"`
}

// RecordMessageOrigin keeps the message user used the shortcut on and
// returns the id that stands for it in buttons and windows.
func (s *Store) RecordMessageOrigin(ctx context.Context, user, channel, ts string) (string, error) {
	id := NewID("M", 10)
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO message_origins (id, user_id, channel, message_ts, created_at) VALUES (?, ?, ?, ?, ?)`),
		id, user, channel, ts, s.now().UTC()); err != nil {
		return "", fmt.Errorf("record message origin: %w", err)
	}
	return id, nil
}

// MessageOriginOf returns the message origin id was issued for, when it
// was issued to user; found is false for any other id.
func (s *Store) MessageOriginOf(ctx context.Context, id, user string) (o MessageOrigin, found bool, err error) {
	var list []MessageOrigin
	if err := s.db.SelectContext(ctx, &list, s.db.Rebind(`SELECT id, user_id, channel, message_ts FROM message_origins WHERE id = ? AND user_id = ?`), id, user); err != nil {
		return o, false, fmt.Errorf("message origin %s: %w", id, err)
	}
	if len(list) == 0 {
		return o, false, nil
	}
	return list[0], true, nil
}

// messageOriginKeep is how long a message origin is kept: far longer than
// the shortcut's ephemeral answer and the windows opened from it stay
// usable. A request keeps its origin's words itself.
const messageOriginKeep = 7 * 24 * time.Hour

// PruneMessageOrigins removes message origins older than a week; a button
// naming one then starts an action with no origin.
func (s *Store) PruneMessageOrigins(ctx context.Context) (int, error) {
	r, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM message_origins WHERE created_at < ?`), s.now().UTC().Add(-messageOriginKeep))
	if err != nil {
		return 0, fmt.Errorf("prune message origins: %w", err)
	}
	n, _ := r.RowsAffected()
	return int(n), nil
}
