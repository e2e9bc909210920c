// Package bottest builds the whole bot for tests: a real database
// (PostgreSQL with TEST_DATABASE_URL, else an SQLite file, as the shell
// runs), Redis (with TEST_REDIS_URL, else the in-memory store), the fake
// Slack Web API, and the HTTP transport, with helpers that send requests
// signed the way Slack signs them.
package bottest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"

	"contactbot/bot"
	"contactbot/bot/kv"
	"contactbot/bot/slackapi"
	"contactbot/bot/slackfake"
	"contactbot/bot/slackhttp"
	"contactbot/config"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// Users of the test workspace.
const (
	Team     = slackfake.TeamID
	Admin    = "UADMIN1"
	Admin2   = "UADMIN2"
	Deleter  = "UDELETER"
	Support  = "USUPPORT"
	Channel  = "CSUPPORT"
	Approval = "CAPPROVALS"
	Incident = "CINCIDENTS"
	Audit    = "CAUDIT"
	Secret   = "test-signing-secret"
)

// RedisURL is the Redis tests use: TEST_REDIS_URL, or "" when it is unset
// (Redis tests are then skipped and the bot uses the in-memory store).
func RedisURL() string { return os.Getenv("TEST_REDIS_URL") }

// Main runs a package's tests (call it from TestMain), saying first in one
// line each what will not run on this machine (see crmtest.Main).
func Main(m *testing.M) {
	note := ""
	if RedisURL() == "" {
		note = "TEST_REDIS_URL is not set: tests that need Redis are skipped, the bot uses the in-memory store"
	}
	os.Exit(crmtest.Run(m, note))
}

// NewKV returns the real Redis store under a key prefix of its own, whose
// keys are removed when the test ends. Without TEST_REDIS_URL the test is
// skipped.
func NewKV(tb testing.TB) *kv.Redis {
	tb.Helper()
	if RedisURL() == "" {
		tb.Skip("Redis only: set TEST_REDIS_URL (bash .ci/run sets it) to run it")
	}
	opts, err := redis.ParseURL(RedisURL())
	if err != nil {
		tb.Fatalf("TEST_REDIS_URL: %v", err)
	}
	client := redis.NewClient(opts)
	if err := client.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("Redis is not reachable (run bash .ci/run): %v", err)
	}
	prefix := "contactbot-test:" + crm.NewID("", 10) + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		keys, _ := client.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			client.Del(ctx, keys...)
		}
		client.Close()
	})
	return kv.NewRedis(client, kv.Options{Prefix: prefix})
}

// Env is one running bot with everything around it.
type Env struct {
	TB     testing.TB
	Store  *crm.Store
	KV     bot.KV
	Slack  *slackfake.Server
	Config *config.Config
	Bot    *bot.Bot
	Server *httptest.Server
	Clock  *Clock
	// redisClock is the clock of the Redis breaker (with Options.RedisURL):
	// it stands still, so an open breaker stays open until the test calls
	// AdvanceRedisBreaker.
	redisClock   *Clock
	redisOpenFor time.Duration
	log          *slog.Logger

	stopOutbox func()
}

// Clock is a settable clock shared by the bot and the store.
type Clock = crmtest.Clock

// Options adjust the environment; Env is the configuration's environment map.
type Options struct {
	Env map[string]string
	// RedisURL, when set, is the Redis the bot uses, opened as serve opens it
	// (kv.OpenRedis: fail-fast timeouts, a breaker on a clock the test moves:
	// Env.AdvanceRedisBreaker), e.g. a
	// private testsvc server that the test stops.
	RedisURL string
	// RedisOpenFor is the breaker's wait before it tries Redis again; zero:
	// kv.OpenFor.
	RedisOpenFor time.Duration
	// DatabaseURL, when set, is the database, e.g. on a private testsvc
	// PostgreSQL: opened as crmtest.NewStoreAt opens one, with the bot's
	// hooks. Unset: a fresh PostgreSQL database with TEST_DATABASE_URL,
	// else a fresh SQLite file.
	DatabaseURL string
	// RedisNow, when set, is the breaker's clock instead of one the test
	// moves (time.Now for a benchmark that measures the breaker's rhythm).
	RedisNow func() time.Time
	// Log, when set, receives the bot's and the HTTP handler's logs (see Logs).
	Log *slog.Logger
}

// New starts a bot. Admins: UADMIN1, UADMIN2; deleter: UDELETER; USUPPORT has no rights.
func New(tb testing.TB, opts ...Options) *Env {
	tb.Helper()
	fake := slackfake.New(tb)
	environ := map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-test-token",
		"SLACK_SIGNING_SECRET": Secret,
		"SLACK_API_URL":        fake.URL(),
		"APPROVALS_CHANNEL":    Approval,
		"INCIDENT_CHANNEL":     Incident,
		"ADMIN_USER_IDS":       Admin + "," + Admin2,
		"DELETER_USER_IDS":     Deleter,
		"DATABASE_URL":         "postgres://unused",
		"REDIS_URL":            "redis://unused",
	}
	var o Options
	for _, opt := range opts {
		if opt.RedisURL != "" {
			o.RedisURL = opt.RedisURL
		}
		if opt.RedisOpenFor != 0 {
			o.RedisOpenFor = opt.RedisOpenFor
		}
		if opt.DatabaseURL != "" {
			o.DatabaseURL = opt.DatabaseURL
		}
		if opt.RedisNow != nil {
			o.RedisNow = opt.RedisNow
		}
		if opt.Log != nil {
			o.Log = opt.Log
		}
	}
	for _, o := range opts {
		for k, v := range o.Env {
			if v == "" {
				delete(environ, k)
			} else {
				environ[k] = v
			}
		}
	}
	cfg, err := config.Load(environ)
	if err != nil {
		tb.Fatalf("config: %v", err)
	}
	var store *crm.Store
	if o.DatabaseURL != "" {
		store = crmtest.NewStoreAt(tb, o.DatabaseURL, bot.StoreHooks(cfg))
	} else if crmtest.AdminURL() != "" {
		store = crmtest.NewStore(tb, bot.StoreHooks(cfg))
	} else {
		store = crmtest.NewSQLiteStore(tb, bot.StoreHooks(cfg))
	}
	clock := crmtest.NewClock(time.Now())
	store.SetClock(func() time.Time { return clock.Now() })
	var shared bot.KV
	redisClock := crmtest.NewClock(time.Now())
	if o.RedisURL != "" {
		if o.RedisOpenFor == 0 {
			o.RedisOpenFor = kv.OpenFor
		}
		if o.RedisNow == nil {
			o.RedisNow = redisClock.Now
		}
		r, err := kv.OpenRedis(o.RedisURL, kv.Options{Prefix: "contactbot-test:", Log: o.Log, OpenFor: o.RedisOpenFor, Now: o.RedisNow})
		if err != nil {
			tb.Fatalf("open Redis: %v", err)
		}
		tb.Cleanup(func() { r.Close() })
		shared = r
	} else if RedisURL() != "" {
		shared = NewKV(tb)
	} else {
		shared = kv.NewMemory()
	}
	if cfg.SlackTeamID != "" {
		// The token belongs to the configured workspace, as serve requires.
		fake.SetWorkspace(cfg.SlackTeamID, "")
	}
	e := &Env{TB: tb, Store: store, KV: shared, Slack: fake, Config: cfg, Clock: clock, redisClock: redisClock, redisOpenFor: o.RedisOpenFor, log: o.Log}
	e.start()
	return e
}

// start builds this environment's bot process: its Bot and HTTP server.
func (e *Env) start() {
	// As serve does: the bot serves the workspace auth.test names.
	client := slackapi.New(e.Config.SlackBotToken, e.Slack.URL(), nil)
	workspace, err := client.Workspace(context.Background())
	if err != nil {
		e.TB.Fatalf("auth.test: %v", err)
	}
	e.Bot = bot.New(bot.Deps{Store: e.Store, Slack: client, KV: e.KV, Config: e.Config, Now: e.Clock.Now, Log: e.log, Workspace: workspace})
	stop := e.Bot.StartOutbox(context.Background())
	var once sync.Once
	e.stopOutbox = func() { once.Do(stop) }
	metrics := slackhttp.NewMetrics()
	metrics.WatchOutbox(e.Store)
	h := slackhttp.New(e.Bot, slackhttp.Options{SigningSecret: Secret, Log: e.log,
		Ready: map[string]slackhttp.Pinger{"database": e.Store}, Degradable: map[string]slackhttp.Pinger{"redis": e.KV}, Metrics: metrics})
	e.Server = httptest.NewServer(h)
	e.TB.Cleanup(func() {
		e.Bot.Wait()
		e.stopOutbox()
		e.Server.Close()
	})
}

// AdvanceRedisBreaker moves the Redis breaker's clock (Options.RedisURL)
// past its open period: the next call probes Redis.
func (e *Env) AdvanceRedisBreaker() { e.redisClock.Advance(e.redisOpenFor) }

// StopOutbox stops this process's outbox worker, as a process that dies
// would: what it has not delivered stays in the database.
func (e *Env) StopOutbox() { e.stopOutbox() }

// Replica starts a second bot process on the same database, Redis
// prefix and fake Slack, as a second web dyno would be.
func (e *Env) Replica() *Env {
	r := &Env{TB: e.TB, Store: e.Store, KV: e.KV, Slack: e.Slack, Config: e.Config, Clock: e.Clock, redisClock: e.redisClock, redisOpenFor: e.redisOpenFor, log: e.log}
	r.start()
	return r
}

// Sign returns the headers Slack would send with body at time ts.
func Sign(secret, body string, ts time.Time) http.Header {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", stamp)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	return h
}

// Response is an HTTP answer of the bot.
type Response struct {
	Status int
	Body   string
}

// JSON decodes the body into a generic map.
func (r Response) JSON(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		tb.Fatalf("response is not JSON (%v): %q", err, r.Body)
	}
	return m
}

// Post sends body to path with the given headers.
func (e *Env) Post(path, body string, header http.Header) Response {
	e.TB.Helper()
	req, err := http.NewRequest(http.MethodPost, e.Server.URL+path, strings.NewReader(body))
	if err != nil {
		e.TB.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.TB.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Body: string(b)}
}

// PostSigned sends body to path signed with the test secret, now.
func (e *Env) PostSigned(path, body string) Response {
	e.TB.Helper()
	return e.Post(path, body, Sign(Secret, body, time.Now()))
}

// Command sends "/contact text" as user and returns its answer. A command
// whose work ran past the ack budget (a loaded machine) answers
// bot.LateAnswerText at once and the answer itself on its response URL:
// that answer is returned then, as the person sees it replace the first.
func (e *Env) Command(user, text string) Response {
	e.TB.Helper()
	responseURL := e.Slack.NewResponseURL()
	form := url.Values{
		"command": {"/contact"}, "text": {text}, "user_id": {user}, "user_name": {strings.ToLower(user)},
		"team_id": {Team}, "channel_id": {Channel}, "trigger_id": {"trigger-" + crm.NewID("", 6)},
		"response_url": {responseURL},
	}
	r := e.PostSigned("/slack/commands", form.Encode())
	if r.Status == http.StatusOK && strings.Contains(r.Body, bot.LateAnswerText) {
		r.Body = string(e.Slack.WaitResponseAt(responseURL, 30*time.Second).Body)
	}
	return r
}

// Interact sends an interaction payload.
func (e *Env) Interact(cb slack.InteractionCallback) Response {
	e.TB.Helper()
	payload, err := json.Marshal(cb)
	if err != nil {
		e.TB.Fatal(err)
	}
	return e.PostSigned("/slack/interactions", url.Values{"payload": {string(payload)}}.Encode())
}

// Click presses a button as user, in the support channel.
func (e *Env) Click(user, actionID, value string) Response {
	e.TB.Helper()
	cb := slack.InteractionCallback{
		Type:        slack.InteractionTypeBlockActions,
		User:        slack.User{ID: user},
		Team:        slack.Team{ID: Team},
		Channel:     slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: Channel}}},
		TriggerID:   "trigger-" + crm.NewID("", 6),
		ResponseURL: e.Slack.NewResponseURL(),
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: actionID, BlockID: "b", Value: value},
		}},
	}
	return e.Interact(cb)
}

// LastView is the most recently opened modal, as Slack received it.
func (e *Env) LastView() slack.View {
	e.TB.Helper()
	return e.LastViewOf("views.open")
}

// LastViewOf is the view of the latest call of method (views.open,
// views.push, views.update), as Slack received it, with the id Slack gave
// it.
func (e *Env) LastViewOf(method string) slack.View {
	e.TB.Helper()
	call, ok := e.Slack.Last(method)
	if !ok {
		e.TB.Fatalf("no %s call; calls: %v", method, e.Slack.Calls(""))
	}
	var v slack.View
	if err := json.Unmarshal([]byte(call.Params["view"]), &v); err != nil {
		e.TB.Fatalf("decode %s view: %v", method, err)
	}
	v.ID = call.ViewID
	return v
}

// Submit submits view as user with the given input values: block id to
// value; a select's ("reason", "original") value is its option's value.
func (e *Env) Submit(user string, v slack.View, values map[string]string) Response {
	e.TB.Helper()
	state := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{}}
	for block, val := range values {
		a := slack.BlockAction{ActionID: block, Value: val}
		if block == "reason" || block == "original" { // the selects
			a = slack.BlockAction{ActionID: block, Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: val}}
		}
		state.Values[block] = map[string]slack.BlockAction{block: a}
	}
	v.State = state
	if v.ID == "" {
		v.ID = "V" + crm.NewID("", 8)
	}
	// Two submits of one window are two requests (Slack's differ in the
	// view's hash and state), not a replay of one.
	v.Hash = crm.NewID("", 12)
	cb := slack.InteractionCallback{
		Type: slack.InteractionTypeViewSubmission,
		User: slack.User{ID: user},
		Team: slack.Team{ID: Team},
		View: v,
	}
	return e.Interact(cb)
}

// SubmitChecked submits view as user with checkbox groups ticked: block id
// to the values of the ticked options (the action id is the block id).
func (e *Env) SubmitChecked(user string, v slack.View, ticked map[string][]string) Response {
	e.TB.Helper()
	state := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{}}
	for block, vals := range ticked {
		a := slack.BlockAction{ActionID: block, Type: "checkboxes", SelectedOptions: []slack.OptionBlockObject{}}
		for _, val := range vals {
			a.SelectedOptions = append(a.SelectedOptions, slack.OptionBlockObject{Value: val})
		}
		state.Values[block] = map[string]slack.BlockAction{block: a}
	}
	v.State = state
	if v.ID == "" {
		v.ID = "V" + crm.NewID("", 8)
	}
	// Two submits of one window are two requests (Slack's differ in the
	// view's hash and state), not a replay of one.
	v.Hash = crm.NewID("", 12)
	return e.Interact(slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: user}, Team: slack.Team{ID: Team}, View: v})
}

// AuditPosts returns the messages posted to the audit channel so far.
func (e *Env) AuditPosts() []slackfake.Call {
	var out []slackfake.Call
	for _, c := range e.Slack.Calls("chat.postMessage") {
		if c.Params["channel"] == Audit {
			out = append(out, c)
		}
	}
	return out
}

// Report presses Report wrong deletion on deletion as user and, when the
// window asking what was wrong opens, submits it with note; it waits for
// the work after the ack. The answer arrives on the click's response URL.
func (e *Env) Report(user, deletion, note string) {
	e.TB.Helper()
	opened := len(e.Slack.Calls("views.open"))
	if r := e.Click(user, bot.ActionReport, deletion); r.Status != http.StatusOK {
		e.TB.Fatalf("click Report: %d %s", r.Status, r.Body)
	}
	if len(e.Slack.Calls("views.open")) > opened {
		e.SubmitReport(user, note)
	}
	e.Bot.Wait()
}

// SubmitReport submits the report window opened last (by a click or by
// `/contact report`) as user, with note, and waits for the work after the ack.
func (e *Env) SubmitReport(user, note string) Response {
	e.TB.Helper()
	v := e.LastView()
	if v.CallbackID != bot.CallbackReportModal {
		e.TB.Fatalf("the last window is %q, not the report window", v.CallbackID)
	}
	r := e.Submit(user, v, map[string]string{"report_note": note})
	e.Bot.Wait()
	return r
}
