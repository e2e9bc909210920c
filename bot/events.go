package bot

import (
	"context"

	"github.com/slack-go/slack/slackevents"
)

// eventSeenTTL outlives Slack's retries of an event it thinks was not
// acknowledged (three, over about five minutes), and a replay of a signed
// delivery within its five-minute window; FirstSeen takes up to maxSeenTTL.
const eventSeenTTL = maxSeenTTL

// HandleEvent handles an Events API event (event_callback), from either
// transport. It returns at once: the work (publishing a Home tab) goes on
// after the ack. An event already handled (the same event_id, which Slack
// re-sends when it missed the ack) is acknowledged and nothing more.
func (b *Bot) HandleEvent(ctx context.Context, ev slackevents.EventsAPIEvent) {
	cbe, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || ev.Type != slackevents.CallbackEvent {
		b.log.Debug("event ignored", "type", ev.Type)
		return
	}
	if !b.teamAllowed(ev.TeamID, cbe.EnterpriseID) {
		b.log.Warn("event from another workspace ignored", "team", cut(ev.TeamID, 64), "enterprise", cut(cbe.EnterpriseID, 64))
		return
	}
	if cbe.EventID != "" && !b.firstEvent(ctx, cbe.EventID) {
		b.log.Info("event delivered again, acknowledged only", "event", cbe.EventID)
		return
	}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		if e.Tab != "home" || e.User == "" {
			return // the Messages tab: nothing to show
		}
		user := e.User
		b.log.Info("Home tab opened", "user", user, "event", cbe.EventID)
		b.goBackground("publish Home tab", func(ctx context.Context) { b.openHome(ctx, user) })
	default:
		b.log.Debug("event ignored", "type", ev.InnerEvent.Type)
	}
}

// firstEvent reports whether this is the first delivery of event id, on
// any replica: through Redis, or the database while Redis is down
// (FirstSeen). When neither can tell, the event is handled: publishing a
// Home tab twice is harmless.
func (b *Bot) firstEvent(ctx context.Context, id string) bool {
	fresh, err := b.FirstSeen(ctx, "event:"+id, eventSeenTTL)
	if err != nil {
		b.log.Warn("event dedupe skipped: shared store and database unreachable", "event", id, "err", err)
		return true
	}
	return fresh
}
