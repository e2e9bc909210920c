package crm_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestRequestLimitUnderConcurrency: many requests of one person at once,
// on two stores (two replicas of one database), let exactly Limit through;
// the rest are refused with nothing recorded. Another person is not held
// back by the first one's requests.
func TestRequestLimitUnderConcurrency(t *testing.T) {
	t.Parallel()
	crmtest.EachDialect(t, func(t *testing.T, d crm.Dialect) {
		ctx := context.Background()
		s := crmtest.NewStoreOf(t, d)
		replicas := []*crm.Store{s}
		if d == crm.Postgres {
			url := crmtest.NewDatabase(t)
			replicas = nil
			for range 2 {
				r, err := crm.Open(ctx, url, crm.Hooks{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { r.Close() })
				replicas = append(replicas, r)
			}
			if err := replicas[0].Migrate(ctx, nil); err != nil {
				t.Fatal(err)
			}
			s = replicas[0]
		}
		const limit, tries = 3, 12
		var contacts []string
		var prints []string
		for i := range tries + 1 {
			id := crmtest.InsertContact(t, s, crmtest.Contact{FirstName: fmt.Sprintf("Flood%d", i), LastName: "Test"})
			_, l, err := s.Linked(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			contacts, prints = append(contacts, id), append(prints, l.Fingerprint)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		accepted, refused := 0, 0
		for i := range tries {
			wg.Go(func() {
				_, _, err := replicas[i%len(replicas)].RequestApproval(ctx, crm.NewApproval{ContactID: contacts[i], Requester: "UFLOOD", Reason: "duplicate",
					Fingerprint: prints[i], TTL: time.Hour, Limit: limit})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					accepted++
				case errors.Is(err, crm.ErrTooManyRequests):
					refused++
				default:
					t.Errorf("request %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if accepted != limit || refused != tries-limit {
			t.Errorf("%d accepted, %d refused; want %d and %d", accepted, refused, limit, tries-limit)
		}
		if n := crmtest.CountRows(t, s, "approval_requests", "requester = $1", "UFLOOD"); n != limit {
			t.Errorf("%d requests stored, want %d", n, limit)
		}
		if n := crmtest.CountRows(t, s, "audit_log", "actor = $1", "UFLOOD"); n != limit {
			t.Errorf("%d audit lines, want %d", n, limit)
		}
		if _, _, err := s.RequestApproval(ctx, crm.NewApproval{ContactID: contacts[tries], Requester: "UOTHER", Reason: "duplicate",
			Fingerprint: prints[tries], TTL: time.Hour, Limit: limit}); err != nil {
			t.Errorf("another person's request: %v", err)
		}
	})
}
