package crm

import "context"

// DueJobs is what the scheduler reads every tick (outbox.DueJobs).
func (s *Store) DueJobs(ctx context.Context) (map[string]bool, error) { return s.outbox.DueJobs(ctx) }
