package crm

import "context"

// Duplicates lists up to three other contacts that share c's email or phone
// digits: what a search flags as "possible duplicate", for windows that show
// one contact.
func (s *Store) Duplicates(ctx context.Context, c Contact) ([]ContactRef, error) {
	return s.duplicatesIn(ctx, s.db, c)
}
