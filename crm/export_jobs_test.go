package crm

import "context"

// DueJobs is what the scheduler reads every tick (dueJobs).
func (s *Store) DueJobs(ctx context.Context) (map[string]bool, error) { return s.dueJobs(ctx) }
