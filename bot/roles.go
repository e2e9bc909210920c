package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"contactbot/crm"
)

// groupCacheTTL is how long user-group members are trusted without asking
// Slack again: a person removed from the admin group loses the right within
// this time.
const groupCacheTTL = 3 * time.Minute

// groupLookupTimeout keeps a slow Slack from eating the 3-second ack budget.
const groupLookupTimeout = 1500 * time.Millisecond

// groupMembers returns the members of a Slack user group, from the shared
// cache or from usergroups.users.list. ok is false when neither answered:
// callers then grant nothing through the group. Failures are not cached, so
// the next check asks Slack again. While the shared cache cannot be read,
// this process's own copy of Slack's last answer stands in for it.
func (b *Bot) groupMembers(ctx context.Context, groupID string) (members []string, ok bool) {
	key := "usergroup:" + groupID
	v, found, err := b.kv.Get(ctx, key)
	if err != nil {
		b.kvFailed("user group cache", err, "group", groupID)
		if members, ok := b.groups.get(groupID, b.now()); ok {
			return members, true
		}
	}
	if found && json.Unmarshal([]byte(v), &members) == nil {
		return members, true
	}
	lctx, cancel := context.WithTimeout(ctx, groupLookupTimeout)
	defer cancel()
	members, err = b.slack.UserGroupMembers(lctx, groupID)
	if err != nil {
		b.log.Warn("user group lookup failed; using the id lists only", "group", groupID, "err", err)
		return nil, false
	}
	if members == nil {
		members = []string{}
	}
	b.groups.put(groupID, members, b.now())
	raw, _ := json.Marshal(members)
	if err := b.kv.Set(ctx, key, string(raw), groupCacheTTL); err != nil {
		b.kvFailed("cache user group", err, "group", groupID)
	}
	return members, true
}

// inGroup reports whether user is a member of groupID ("" means no group).
func (b *Bot) inGroup(ctx context.Context, groupID, user string) bool {
	if groupID == "" || user == "" {
		return false
	}
	members, ok := b.groupMembers(ctx, groupID)
	return ok && slices.Contains(members, user)
}

// isAdmin reports whether user is in ADMIN_USER_IDS or ADMIN_USERGROUP_ID.
func (b *Bot) isAdmin(ctx context.Context, user string) bool {
	return b.cfg.IsAdmin(user) || b.inGroup(ctx, b.cfg.AdminUsergroupID, user)
}

// isDeleter reports whether user is in DELETER_USER_IDS or
// DELETER_USERGROUP_ID; it does not count admins.
func (b *Bot) isDeleter(ctx context.Context, user string) bool {
	return b.cfg.IsDeleter(user) || b.inGroup(ctx, b.cfg.DeleterUsergroupID, user)
}

// Delete modes: what a submit of the delete modal does.
const (
	modeDirect   = "direct"
	modeApproval = "approval"
)

// deletePermission is what a submit of the delete modal will do for one
// person and one contact, and the sentence that says why.
type deletePermission struct {
	Mode string
	Why  string
	// rated is set for a deleter's direct delete, which counts against DELETE_RATE_LIMIT.
	rated bool
	// admin is set when an admin submits: their direct delete or merge is
	// reviewed by another admin, their erasure needs one admin's approval, not two.
	admin bool
}

// Direct reports whether the submit deletes without an approval.
func (p deletePermission) Direct() bool { return p.Mode == modeDirect }

// deletePermission applies DESIGN.md flow 3: admins delete directly;
// deleters directly unless the contact is risky or they passed
// DELETE_RATE_LIMIT direct deletes in the last hour; everyone else asks an
// admin. Whatever cannot be checked counts against the person.
func (b *Bot) deletePermission(ctx context.Context, user string, c crm.Contact, l crm.Linked) deletePermission {
	approval := b.needsApproval
	if b.isAdmin(ctx, user) {
		return deletePermission{Mode: modeDirect, admin: true, Why: "You are an admin: the contact is deleted when you confirm."}
	}
	if !b.isDeleter(ctx, user) {
		return approval("Deleting contacts needs an admin's approval: you are not an admin or a deleter.")
	}
	if risky := l.Risky(c.DND); len(risky) > 0 {
		return approval("You may delete low-risk contacts directly, but this one needs an admin's approval: " + strings.Join(risky, ", ") + ".")
	}
	n, err := b.recentDirectDeletes(ctx, user)
	if err != nil {
		b.log.Error("read delete rate", "user", user, "err", err)
		return approval("Your recent deletes cannot be counted right now, so this one needs an admin's approval.")
	}
	if n >= float64(b.cfg.DeleteRateLimit) {
		return approval(rateLimitWhy(n, b.cfg.DeleteRateLimit))
	}
	return deletePermission{Mode: modeDirect, rated: true, Why: "You are a deleter and this contact is low-risk: it is deleted when you confirm."}
}

// submitPermission is deletePermission applied again on the server when a
// delete or merge window is submitted, whatever the window said (shown is
// the mode it showed): a deleter's direct delete is counted against
// DELETE_RATE_LIMIT now, before it happens, and past the limit becomes a
// request. A window that said it asks an admin reserves nothing.
func (b *Bot) submitPermission(ctx context.Context, user string, c crm.Contact, l crm.Linked, shown string) deletePermission {
	perm := b.deletePermission(ctx, user, c, l)
	if perm.Direct() && perm.rated && shown != modeApproval {
		if ok, n := b.reserveDirectDelete(ctx, user); !ok {
			perm = b.needsApproval(rateLimitWhy(n, b.cfg.DeleteRateLimit))
		}
	}
	return perm
}

// needsApproval is the permission to ask an admin, for the given reason.
func (b *Bot) needsApproval(why string) deletePermission {
	return deletePermission{Mode: modeApproval, Why: why + " Your request goes to " + channelRef(b.cfg.ApprovalsChannel) + " and you will hear the outcome."}
}

func rateLimitWhy(n float64, limit int) string {
	if limit == 0 {
		return "Deleters need an admin's approval for every delete here (DELETE_RATE_LIMIT is 0)."
	}
	return fmt.Sprintf("You made about %d direct deletes in the last hour and the limit is %d, so this one needs an admin's approval.", int(math.Round(n)), limit)
}

// channelRef links a channel, or says "the approvals channel" when unset.
func channelRef(id string) string {
	if id == "" {
		return "the approvals channel"
	}
	return "<#" + id + ">"
}

// rateWindow is the span DELETE_RATE_LIMIT counts over.
const rateWindow = time.Hour

// rateKeys are the counters of the current and previous hour for user, and
// how far into the current hour now is (0..1).
func (b *Bot) rateKeys(user string) (cur, prev string, elapsed float64) {
	now := b.now().Unix()
	bucket := now / int64(rateWindow/time.Second)
	cur = "deleterate:" + user + ":" + strconv.FormatInt(bucket, 10)
	prev = "deleterate:" + user + ":" + strconv.FormatInt(bucket-1, 10)
	return cur, prev, float64(now%int64(rateWindow/time.Second)) / float64(rateWindow/time.Second)
}

// recentDirectDeletes estimates user's direct deletes over the last hour as a
// sliding window over two hourly counters shared by every replica: all of
// this hour's, and the previous hour's in proportion to how much of it is
// still within the hour. (A fixed window would allow twice the limit around
// the turn of the hour.) The deletions table counts too: it knows the deletes
// made while Redis was down or since it lost its counters, and stands in for
// the counters when Redis cannot answer.
func (b *Bot) recentDirectDeletes(ctx context.Context, user string) (float64, error) {
	cur, prev, elapsed := b.rateKeys(user)
	est, kvErr := b.counterEstimate(ctx, cur, prev, elapsed, 0)
	return b.withRecorded(ctx, user, est, kvErr)
}

// counterEstimate is the sliding-window estimate from the previous hour's
// counter and this hour's count n (read from cur when n is 0).
func (b *Bot) counterEstimate(ctx context.Context, cur, prev string, elapsed float64, n int64) (float64, error) {
	if n == 0 {
		var err error
		if n, err = b.counter(ctx, cur); err != nil {
			return 0, err
		}
	}
	p, err := b.counter(ctx, prev)
	if err != nil {
		return 0, err
	}
	return float64(p)*(1-elapsed) + float64(n), nil
}

// withRecorded combines the counters' estimate with the direct deletes the
// deletions table recorded in the last hour: the larger counts. With the
// counters unreadable (kvErr), the table alone counts; an error only when
// neither can be read.
func (b *Bot) withRecorded(ctx context.Context, user string, estimate float64, kvErr error) (float64, error) {
	if kvErr != nil {
		b.kvFailed("delete rate", kvErr, "user", user)
	}
	n, dbErr := b.store.DirectDeletesSince(ctx, user, b.now().Add(-rateWindow))
	switch {
	case dbErr != nil && kvErr != nil:
		return 0, fmt.Errorf("count direct deletes: shared store: %v; database: %w", kvErr, dbErr)
	case dbErr != nil:
		b.log.Warn("count direct deletes in the database", "user", user, "err", dbErr)
		return estimate, nil
	case kvErr != nil:
		return float64(n), nil
	}
	return max(estimate, float64(n)), nil
}

// reserveDirectDelete counts one direct delete for user before it happens,
// and reports whether it stays within DELETE_RATE_LIMIT. Counting first means
// concurrent submits cannot all slip under the limit; a reservation that was
// refused still counts, which errs on the side of asking an admin. Without
// Redis only the deletions table counts, which does not see concurrent
// submits: during an outage a deleter's racing submits may pass the limit by
// the number in flight.
func (b *Bot) reserveDirectDelete(ctx context.Context, user string) (ok bool, estimate float64) {
	return b.reserveDirectDeletes(ctx, user, 1)
}

// reserveDirectDeletes counts n direct deletes for user before they
// happen (reserveDirectDelete's one, or a clean-up's batch).
func (b *Bot) reserveDirectDeletes(ctx context.Context, user string, n int) (ok bool, estimate float64) {
	cur, prev, elapsed := b.rateKeys(user)
	var (
		count int64
		est   float64
		err   error
	)
	for range n {
		// The key is still read as "previous" next hour.
		if count, err = b.kv.Incr(ctx, cur, 2*rateWindow+time.Minute); err != nil {
			break
		}
	}
	if err == nil {
		est, err = b.counterEstimate(ctx, cur, prev, elapsed, count)
		est -= float64(n) // the batch is counted below
	}
	before, err := b.withRecorded(ctx, user, est, err)
	if err != nil {
		b.log.Error("count direct deletes", "user", user, "err", err)
		return false, 0
	}
	return before+float64(n) <= float64(b.cfg.DeleteRateLimit), before
}

func (b *Bot) counter(ctx context.Context, key string) (int64, error) {
	v, found, err := b.kv.Get(ctx, key)
	if err != nil || !found {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("counter %s holds %q: %w", key, v, err)
	}
	return n, nil
}
