package slackapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"contactbot/bot"
)

// Auth is what auth.test says of the bot token.
type Auth struct {
	bot.Workspace
	// BotUserID is the bot's own user id, e.g. for "/invite @contactbot".
	BotUserID string
	// Scopes are the scopes granted to the token, from the X-OAuth-Scopes
	// header Slack sends with Web API answers; ScopesKnown is false when
	// the answer had no such header.
	Scopes      []string
	ScopesKnown bool
}

// Auth asks auth.test whether the bot token is valid, which workspace and
// bot user it belongs to, and which scopes it was granted.
func (c *Client) Auth(ctx context.Context) (Auth, error) {
	resp, err := c.api.AuthTestContext(ctx)
	if err != nil {
		return Auth{}, fmt.Errorf("auth.test: %w", stripURL(err))
	}
	a := Auth{Workspace: bot.Workspace{TeamID: resp.TeamID, EnterpriseID: resp.EnterpriseID}, BotUserID: resp.UserID}
	if values, ok := resp.Header[httpHeaderScopes]; ok {
		a.ScopesKnown = true
		for _, v := range values {
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					a.Scopes = append(a.Scopes, s)
				}
			}
		}
	}
	return a, nil
}

// httpHeaderScopes is X-OAuth-Scopes in canonical form, as http.Header keys it.
const httpHeaderScopes = "X-Oauth-Scopes"

// ChannelMember asks conversations.info whether the bot is a member of
// channel, and the channel's name. Slack's error code ("channel_not_found":
// a wrong id, or a private channel the bot is not in) is in the error
// (bot.SlackErrorCode).
func (c *Client) ChannelMember(ctx context.Context, channel string) (name string, member bool, err error) {
	ch, err := c.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: channel})
	if err != nil {
		return "", false, fmt.Errorf("conversations.info: %w", stripURL(err))
	}
	return ch.Name, ch.IsMember, nil
}
