// Package slackapi implements bot.Messenger over the Slack Web API with slack-go.
package slackapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"contactbot/bot"
)

// Client is a bot.Messenger that talks to the Slack Web API.
type Client struct {
	api  *slack.Client
	http *http.Client

	mu  sync.Mutex
	dms map[string]string // user id -> DM channel id, learnt from chat.postMessage
}

var _ bot.Messenger = (*Client)(nil)

// DefaultTimeout bounds one HTTP exchange when New is given no http.Client.
const DefaultTimeout = 30 * time.Second

// New returns a Client that calls the Web API at apiURL (for example
// "https://slack.com/api/"; it must end with "/") with a bot token.
// A nil httpClient gets a client with DefaultTimeout.
func New(token, apiURL string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: DefaultTimeout}
	}
	opts := []slack.Option{slack.OptionHTTPClient(httpClient)}
	if apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(apiURL))
	}
	return &Client{api: slack.New(token, opts...), http: httpClient, dms: map[string]string{}}
}

// msgOptions renders m as chat.* options. Text is always sent, as the
// notification fallback. clearBlocks sends blocks=[] when m has none, so that
// chat.update drops the old message's blocks instead of keeping them.
func msgOptions(m bot.Message, clearBlocks bool) []slack.MsgOption {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 || clearBlocks {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	if m.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(m.ThreadTS))
	}
	return opts
}

// Post sends m to channel (a user id opens the bot's DM with that user) and
// returns the message ts.
func (c *Client) Post(ctx context.Context, channel string, m bot.Message) (string, error) {
	got, ts, err := c.api.PostMessageContext(ctx, channel, msgOptions(m, false)...)
	if err != nil {
		return "", fmt.Errorf("chat.postMessage: %w", err)
	}
	if isUserID(channel) && got != "" && got != channel {
		c.mu.Lock()
		c.dms[channel] = got
		c.mu.Unlock()
	}
	return ts, nil
}

// PostEphemeral shows m to user in channel.
func (c *Client) PostEphemeral(ctx context.Context, channel, user string, m bot.Message) error {
	if _, err := c.api.PostEphemeralContext(ctx, channel, user, msgOptions(m, false)...); err != nil {
		return fmt.Errorf("chat.postEphemeral: %w", err)
	}
	return nil
}

// Update replaces the message at ts in channel with m, blocks included: a
// message without blocks clears the old ones. channel may be the user id the
// message was posted to: chat.update needs the DM channel id instead, which
// Update takes from its earlier Post or, failing that, from conversations.open.
func (c *Client) Update(ctx context.Context, channel, ts string, m bot.Message) error {
	channel, err := c.conversation(ctx, channel)
	if err != nil {
		return fmt.Errorf("chat.update: %w", err)
	}
	if _, _, _, err := c.api.UpdateMessageContext(ctx, channel, ts, msgOptions(m, true)...); err != nil {
		return fmt.Errorf("chat.update: %w", err)
	}
	return nil
}

// Respond posts m to an interaction's response_url as an ephemeral response;
// replace swaps the message the interaction came from.
func (c *Client) Respond(ctx context.Context, responseURL string, m bot.Message, replace bool) error {
	msg := &slack.WebhookMessage{
		Text:            m.Text,
		ThreadTimestamp: m.ThreadTS,
		ResponseType:    slack.ResponseTypeEphemeral,
		ReplaceOriginal: replace,
	}
	if len(m.Blocks) > 0 {
		msg.Blocks = &slack.Blocks{BlockSet: m.Blocks}
	}
	// PostWebhookContext would use http.DefaultClient; this is the same call
	// with our client, so timeouts and test transports apply.
	if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, c.http, msg); err != nil {
		return fmt.Errorf("response_url: %w", stripURL(err))
	}
	return nil
}

// Workspace asks auth.test which workspace the bot token belongs to.
func (c *Client) Workspace(ctx context.Context) (bot.Workspace, error) {
	a, err := c.Auth(ctx)
	return a.Workspace, err
}

// OpenView opens the modal v with triggerID and returns its view id.
func (c *Client) OpenView(ctx context.Context, triggerID string, v slack.ModalViewRequest) (string, error) {
	if v.Type == "" {
		v.Type = slack.VTModal
	}
	resp, err := c.api.OpenViewContext(ctx, triggerID, v)
	if err != nil {
		return "", fmt.Errorf("views.open: %w", err)
	}
	return resp.ID, nil
}

// UpdateView replaces the open modal viewID with v.
func (c *Client) UpdateView(ctx context.Context, viewID string, v slack.ModalViewRequest) error {
	if v.Type == "" {
		v.Type = slack.VTModal
	}
	if _, err := c.api.UpdateViewContext(ctx, v, "", "", viewID); err != nil {
		return fmt.Errorf("views.update: %w", err)
	}
	return nil
}

// PushView pushes the modal v onto the stack of the modal triggerID came
// from and returns its view id.
func (c *Client) PushView(ctx context.Context, triggerID string, v slack.ModalViewRequest) (string, error) {
	if v.Type == "" {
		v.Type = slack.VTModal
	}
	resp, err := c.api.PushViewContext(ctx, triggerID, v)
	if err != nil {
		return "", fmt.Errorf("views.push: %w", err)
	}
	return resp.ID, nil
}

// PublishHome publishes v as user's Home tab.
func (c *Client) PublishHome(ctx context.Context, user string, v slack.HomeTabViewRequest) error {
	if v.Type == "" {
		v.Type = slack.VTHomeTab
	}
	if _, err := c.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: v}); err != nil {
		return fmt.Errorf("views.publish: %w", err)
	}
	return nil
}

// UploadFile shares f in channel (a user id: the bot's DM with them) with
// Slack's external upload: files.getUploadURLExternal, the upload itself,
// then files.completeUploadExternal.
func (c *Client) UploadFile(ctx context.Context, channel string, f bot.File) error {
	channel, err := c.conversation(ctx, channel)
	if err != nil {
		return fmt.Errorf("upload %s: %w", f.Name, err)
	}
	_, err = c.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(f.Content), FileSize: len(f.Content), Filename: f.Name, Title: f.Title,
		InitialComment: f.Comment, Channel: channel,
	})
	if err != nil {
		return fmt.Errorf("upload %s: %w", f.Name, stripURL(err))
	}
	return nil
}

// UserGroupMembers lists the user ids in the user group groupID.
func (c *Client) UserGroupMembers(ctx context.Context, groupID string) ([]string, error) {
	users, err := c.api.GetUserGroupMembersContext(ctx, groupID)
	if err != nil {
		return nil, fmt.Errorf("usergroups.users.list: %w", err)
	}
	return users, nil
}

// isUserID reports whether id is a user id (U… or W…) rather than a conversation id.
func isUserID(id string) bool {
	return len(id) > 1 && (id[0] == 'U' || id[0] == 'W')
}

// conversation returns the conversation id for channel: channel itself, or
// for a user id the bot's DM with that user, which chat.update and file
// shares need instead.
func (c *Client) conversation(ctx context.Context, channel string) (string, error) {
	if !isUserID(channel) {
		return channel, nil
	}
	return c.dmChannel(ctx, channel)
}

// dmChannel returns the id of the bot's DM with user.
func (c *Client) dmChannel(ctx context.Context, user string) (string, error) {
	c.mu.Lock()
	dm, ok := c.dms[user]
	c.mu.Unlock()
	if ok {
		return dm, nil
	}
	ch, _, _, err := c.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
	if err != nil {
		return "", fmt.Errorf("conversations.open: %w", err)
	}
	if ch == nil || ch.ID == "" {
		return "", errors.New("conversations.open: no channel in response")
	}
	c.mu.Lock()
	c.dms[user] = ch.ID
	c.mu.Unlock()
	return ch.ID, nil
}

// stripURL drops the URL from a transport error: a response_url is a
// credential for that interaction and does not belong in logs.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
