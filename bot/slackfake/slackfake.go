// Package slackfake is a fake Slack Web API for tests. It answers the
// methods the bot uses with Slack-shaped JSON, records every call, and can be
// told to fail.
//
//	fake := slackfake.New(t)
//	client := slackapi.New("xoxb-test", fake.URL(), nil)
//	... exercise the code ...
//	call := fake.WaitCalls("chat.postMessage", 1, time.Second)[0]
//	if !strings.Contains(call.Text(), "Hello") { ... }
//
// Behaviour worth knowing:
//   - Every request is recorded, including failed and unknown ones.
//   - A call without a token (form "token" or bearer) answers not_authed.
//   - chat.postMessage to a user id (U… or W…) answers with that user's DM
//     channel id ("D" + user id), as Slack does; chat.update given a user id
//     instead of a D… id answers channel_not_found, as Slack documents.
//   - conversations.open with users=U… answers the same DM channel id.
//   - views.publish needs a user_id and a view of type "home".
//   - files.getUploadURLExternal answers an upload URL on the fake; the
//     upload (a multipart POST, recorded as UploadMethod) must carry the
//     announced length; files.completeUploadExternal shares uploaded files
//     in a conversation id (not a user id, as Slack insists). Files lists
//     what was shared.
//   - Every Web API answer carries the X-OAuth-Scopes header, as Slack's
//     do: DefaultScopes unless SetScopes or DropScope changed them.
//   - conversations.info finds every C… and G… channel with the bot a
//     member, unless NotInChannel or NoChannel says otherwise.
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ResponseURLMethod is the Method of calls recorded on response URLs, and the
// name to give Fail and FailHTTP to make response URLs fail.
const ResponseURLMethod = "response_url"

// TeamID is the workspace the fake's token belongs to (auth.test, users.info,
// views), unless SetWorkspace names another; the tests' payloads come from it.
const TeamID = "T0TEST"

// UploadMethod is the Method of recorded uploads to an upload URL, and the
// name to give Fail and FailHTTP to make them fail.
const UploadMethod = "upload"

// upload is a file announced by files.getUploadURLExternal: its name and
// length, and its bytes once they came to the upload URL.
type upload struct {
	name     string
	length   int
	content  []byte
	uploaded bool
}

// File is a file shared through files.completeUploadExternal.
type File struct {
	ID, Name, Title string
	// Channel and Comment are files.completeUploadExternal's channel_id and
	// initial_comment.
	Channel, Comment string
	Content          []byte
}

// Call is one recorded request.
type Call struct {
	// Method is the Web API method ("chat.postMessage"), or ResponseURLMethod.
	Method string
	// Params holds the form fields, or the top-level fields of a JSON body.
	// Values are raw strings: JSON strings unquoted, other JSON values (objects,
	// arrays, numbers, booleans) as their raw JSON text. The token is not here.
	Params map[string]string
	// Body is the raw request body.
	Body []byte
	// Token is the bearer token, or the form's "token" field.
	Token string
	// Path is the request path, e.g. "/api/chat.postMessage" or "/response/3".
	Path string
	// ViewID is the id of the view a views.open, views.push or views.update
	// call answered with: the id later clicks in that window carry.
	ViewID string
}

// DefaultScopes are the bot token scopes the fake says are granted until
// SetScopes: those the manifest asks for (bot.BotScopes; a test in
// bot/slackapi keeps the two lists equal, as this package cannot import bot).
var DefaultScopes = []string{"commands", "chat:write", "im:write", "usergroups:read", "files:write", "channels:read", "groups:read"}

// Channel states conversations.info answers for a channel id.
const (
	channelMember    = ""          // found, the bot a member (the default)
	channelNotMember = "notmember" // found, the bot not invited
	channelMissing   = "missing"   // channel_not_found: a wrong id
)

// Server is a fake Slack Web API on an httptest.Server.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced whenever a call is recorded
	calls     []Call
	responses []Call
	groups    map[string][]string
	fails     map[string]string
	httpFails map[string]int
	chanFails map[string]string
	channels  map[string]string // conversations.info's answer by channel id; absent: member
	scopes    []string          // X-OAuth-Scopes
	socketURL string
	team      string             // auth.test's team_id
	org       string             // auth.test's enterprise_id; empty: not in an Enterprise Grid
	uploads   map[string]*upload // by file id: announced, then uploaded
	shared    []File
	msgSeq    int
	viewSeq   int
	respSeq   int
}

// New starts a fake Slack API; it is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		t:         t,
		changed:   make(chan struct{}),
		groups:    map[string][]string{},
		fails:     map[string]string{},
		httpFails: map[string]int{},
		chanFails: map[string]string{},
		channels:  map[string]string{},
		scopes:    append([]string(nil), DefaultScopes...),
		uploads:   map[string]*upload{},
		team:      TeamID,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.handleAPI)
	mux.HandleFunc("/upload/{id}", s.handleUpload)
	mux.HandleFunc("/response/{n}", s.handleResponse)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the Web API base URL; it ends with "/api/".
func (s *Server) URL() string { return s.srv.URL + "/api/" }

// SetWorkspace makes auth.test name team, and enterprise when not empty, as
// the workspace the token belongs to.
func (s *Server) SetWorkspace(team, enterprise string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.team, s.org = team, enterprise
}

// Client is an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// NewResponseURL returns a fresh response_url on the fake; posts to it are
// recorded (see Responses).
func (s *Server) NewResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respSeq++
	return fmt.Sprintf("%s/response/%d", s.srv.URL, s.respSeq)
}

// SetGroupMembers sets the members usergroups.users.list answers for groupID.
func (s *Server) SetGroupMembers(groupID string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[groupID] = append([]string{}, members...)
}

// SetScopes sets the scopes every answer's X-OAuth-Scopes header names.
func (s *Server) SetScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = append([]string{}, scopes...)
}

// DropScope takes scope out of the granted scopes, as an app installed
// without it.
func (s *Server) DropScope(scope string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.scopes[:0]
	for _, sc := range s.scopes {
		if sc != scope {
			kept = append(kept, sc)
		}
	}
	s.scopes = kept
}

// NotInChannel makes conversations.info find channel with the bot not a
// member of it: not invited.
func (s *Server) NotInChannel(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[channel] = channelNotMember
}

// NoChannel makes conversations.info answer channel_not_found for channel:
// a wrong id (or a private channel the bot is not in, which Slack hides).
func (s *Server) NoChannel(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[channel] = channelMissing
}

// SetSocketURL sets the WebSocket URL apps.connections.open answers.
func (s *Server) SetSocketURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.socketURL = u
}

// Fail makes every later call of method answer {"ok":false,"error":slackError}
// until Unfail. For ResponseURLMethod it answers HTTP 404 with slackError as
// the body, which is what makes a response_url post fail.
func (s *Server) Fail(method, slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails[method] = slackError
	delete(s.httpFails, method)
}

// FailHTTP makes every later call of method answer the HTTP status until
// Unfail. A 429 carries "Retry-After: 1", so slack-go reports a
// *slack.RateLimitedError.
func (s *Server) FailHTTP(method string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.httpFails[method] = status
	delete(s.fails, method)
}

// FailChannel makes chat.postMessage and chat.update to channel (as the
// call names it: a channel id or a user id) answer slackError until
// UnfailChannel, while other conversations work.
func (s *Server) FailChannel(channel, slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chanFails[channel] = slackError
}

// UnfailChannel undoes FailChannel.
func (s *Server) UnfailChannel(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.chanFails, channel)
}

// Unfail undoes Fail and FailHTTP for method.
func (s *Server) Unfail(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.fails, method)
	delete(s.httpFails, method)
}

// Reset forgets recorded calls and responses. Configuration (group members,
// socket URL, failures) stays.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.responses = nil
	s.shared = nil
}

// Files returns the files shared so far, oldest first.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]File(nil), s.shared...)
}

// Calls returns the recorded calls of method, oldest first; "" returns all
// Web API calls and uploads to upload URLs (UploadMethod); response URL
// posts are in Responses.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsLocked(method)
}

func (s *Server) callsLocked(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Last returns the latest call of method ("" for any method).
func (s *Server) Last(method string) (Call, bool) {
	calls := s.Calls(method)
	if len(calls) == 0 {
		return Call{}, false
	}
	return calls[len(calls)-1], true
}

// WaitCalls waits until at least n calls of method ("" for any) have been
// recorded and returns them all. It fails the test on timeout, so call it
// from the test's goroutine.
func (s *Server) WaitCalls(method string, n int, timeout time.Duration) []Call {
	s.t.Helper()
	got := s.wait(timeout, func() ([]Call, bool) {
		c := s.callsLocked(method)
		return c, len(c) >= n
	})
	if got == nil && n > 0 {
		s.t.Fatalf("slackfake: waited %v for %d %q calls, got %d: %s", timeout, n, method, len(s.Calls(method)), s.summary())
	}
	return got
}

// Responses returns the posts to response URLs, oldest first.
func (s *Server) Responses() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.responses...)
}

// WaitResponses waits until at least n response URL posts have been recorded
// and returns them all. It fails the test on timeout.
func (s *Server) WaitResponses(n int, timeout time.Duration) []Call {
	s.t.Helper()
	got := s.wait(timeout, func() ([]Call, bool) {
		return append([]Call(nil), s.responses...), len(s.responses) >= n
	})
	if got == nil && n > 0 {
		s.t.Fatalf("slackfake: waited %v for %d response_url posts, got %d", timeout, n, len(s.Responses()))
	}
	return got
}

// WaitResponseAt waits for the first post to responseURL (one NewResponseURL
// returned) and returns it. It fails the test on timeout.
func (s *Server) WaitResponseAt(responseURL string, timeout time.Duration) Call {
	s.t.Helper()
	u, err := url.Parse(responseURL)
	if err != nil {
		s.t.Fatalf("slackfake: response URL %q: %v", responseURL, err)
	}
	got := s.wait(timeout, func() ([]Call, bool) {
		for _, c := range s.responses {
			if c.Path == u.Path {
				return []Call{c}, true
			}
		}
		return nil, false
	})
	if got == nil {
		s.t.Fatalf("slackfake: waited %v for a post to %s", timeout, responseURL)
	}
	return got[0]
}

// wait polls cond (called with mu held) on every change until it holds or
// timeout passes; it returns nil on timeout.
func (s *Server) wait(timeout time.Duration, cond func() ([]Call, bool)) []Call {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, ok := cond()
		changed := s.changed
		s.mu.Unlock()
		if ok {
			if got == nil {
				got = []Call{}
			}
			return got
		}
		select {
		case <-changed:
		case <-deadline.C:
			return nil
		}
	}
}

func (s *Server) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.calls))
	for _, c := range s.calls {
		names = append(names, c.Method)
	}
	return "calls so far [" + strings.Join(names, " ") + "]"
}

// record adds c to the log; mu must be held.
func (s *Server) recordLocked(c Call, response bool) {
	if response {
		s.responses = append(s.responses, c)
	} else {
		s.calls = append(s.calls, c)
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// readCall parses a request into a Call.
func readCall(r *http.Request, method string) (Call, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return Call{}, err
	}
	c := Call{Method: method, Params: map[string]string{}, Body: body, Path: r.URL.Path}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			c.Params[k] = v[0]
		}
	}
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		c.Token = strings.TrimPrefix(auth, "Bearer ")
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case len(body) == 0:
	case ct == "application/json":
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil {
			return c, fmt.Errorf("invalid JSON body: %w", err)
		}
		for k, raw := range fields {
			var str string
			if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &str) == nil {
				c.Params[k] = str
			} else {
				c.Params[k] = string(raw)
			}
		}
	default: // slack-go sends forms as application/x-www-form-urlencoded
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return c, fmt.Errorf("invalid form body: %w", err)
		}
		for k, v := range form {
			if len(v) > 0 {
				c.Params[k] = v[0]
			}
		}
	}
	if tok, ok := c.Params["token"]; ok {
		if c.Token == "" {
			c.Token = tok
		}
		delete(c.Params, "token")
	}
	return c, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func slackError(w http.ResponseWriter, e string) {
	writeJSON(w, map[string]any{"ok": false, "error": e})
}

// failureLocked answers a configured failure for method; mu must be held.
func (s *Server) failureLocked(w http.ResponseWriter, method string) bool {
	if status, ok := s.httpFails[method]; ok {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		http.Error(w, http.StatusText(status), status)
		return true
	}
	if e, ok := s.fails[method]; ok {
		if method == ResponseURLMethod {
			http.Error(w, e, http.StatusNotFound)
		} else {
			slackError(w, e)
		}
		return true
	}
	return false
}

func (s *Server) handleResponse(w http.ResponseWriter, r *http.Request) {
	c, err := readCall(r, ResponseURLMethod)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordLocked(c, true)
	if s.failureLocked(w, ResponseURLMethod) {
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, map[string]any{"ok": true})
}

// handleUpload takes a file's bytes at the URL files.getUploadURLExternal
// gave, as a multipart form with a "file" part (what slack-go sends), and
// answers as Slack does: 200 with "OK - <length>".
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var content []byte
	var readErr error
	if f, _, err := r.FormFile("file"); err == nil {
		content, readErr = io.ReadAll(f)
		f.Close()
	} else {
		readErr = err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordLocked(Call{Method: UploadMethod, Params: map[string]string{"file_id": id}, Body: content, Path: r.URL.Path}, false)
	if s.failureLocked(w, UploadMethod) {
		return
	}
	up, ok := s.uploads[id]
	switch {
	case !ok:
		http.Error(w, "unknown upload", http.StatusNotFound)
	case readErr != nil:
		http.Error(w, "no file part: "+readErr.Error(), http.StatusBadRequest)
	case up.length != len(content):
		http.Error(w, fmt.Sprintf("announced %d bytes, got %d", up.length, len(content)), http.StatusBadRequest)
	default:
		up.content, up.uploaded = content, true
		fmt.Fprintf(w, "OK - %d", len(content))
	}
}

func isUserID(id string) bool {
	return len(id) > 1 && (id[0] == 'U' || id[0] == 'W')
}

// DMChannel is the DM channel id the fake gives a user id.
func DMChannel(userID string) string { return "D" + userID }

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	c, err := readCall(r, method)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordLocked(c, false)
	// Slack names the token's scopes on every Web API answer, errors included.
	w.Header().Set("X-OAuth-Scopes", strings.Join(s.scopes, ","))
	if s.failureLocked(w, method) {
		return
	}
	if err != nil {
		slackError(w, "invalid_form_data")
		return
	}
	if c.Token == "" {
		slackError(w, "not_authed")
		return
	}
	p := c.Params
	if e, ok := s.chanFails[p["channel"]]; ok && (method == "chat.postMessage" || method == "chat.update") {
		slackError(w, e)
		return
	}

	switch method {
	case "chat.postMessage":
		channel := p["channel"]
		if channel == "" {
			slackError(w, "channel_not_found")
			return
		}
		if isUserID(channel) {
			channel = DMChannel(channel)
		}
		ts := s.nextTSLocked()
		msg := map[string]any{"type": "message", "text": p["text"], "ts": ts, "bot_id": "B0FAKEBOT"}
		if p["thread_ts"] != "" {
			msg["thread_ts"] = p["thread_ts"]
		}
		if b := p["blocks"]; b != "" {
			msg["blocks"] = json.RawMessage(b)
		}
		writeJSON(w, map[string]any{"ok": true, "channel": channel, "ts": ts, "message": msg})
	case "chat.postEphemeral":
		if p["channel"] == "" {
			slackError(w, "channel_not_found")
			return
		}
		if p["user"] == "" {
			slackError(w, "user_not_found")
			return
		}
		writeJSON(w, map[string]any{"ok": true, "message_ts": s.nextTSLocked()})
	case "chat.update":
		channel, ts := p["channel"], p["ts"]
		if channel == "" || isUserID(channel) {
			slackError(w, "channel_not_found")
			return
		}
		if ts == "" {
			slackError(w, "message_not_found")
			return
		}
		writeJSON(w, map[string]any{"ok": true, "channel": channel, "ts": ts, "text": p["text"]})
	case "views.open", "views.update", "views.push":
		s.answerViewLocked(w, method, p)
	case "usergroups.users.list":
		members, ok := s.groups[p["usergroup"]]
		if !ok {
			slackError(w, "no_such_subteam")
			return
		}
		writeJSON(w, map[string]any{"ok": true, "users": append([]string{}, members...)})
	case "auth.test":
		auth := map[string]any{
			"ok": true, "url": "https://fake.slack.com/", "team": "Fake Team", "user": "contactbot",
			"team_id": s.team, "user_id": "U0FAKEBOT", "bot_id": "B0FAKEBOT",
		}
		if s.org != "" {
			auth["enterprise_id"] = s.org
		}
		writeJSON(w, auth)
	case "users.info":
		id := p["user"]
		if id == "" {
			slackError(w, "user_not_found")
			return
		}
		name := "user-" + strings.ToLower(id)
		writeJSON(w, map[string]any{"ok": true, "user": map[string]any{
			"id": id, "team_id": s.team, "name": name, "real_name": "User " + id,
			"tz": "UTC", "tz_offset": 0,
			"profile": map[string]any{"real_name": "User " + id, "display_name": name, "email": name + "@example.com"},
		}})
	case "conversations.info":
		id := p["channel"]
		state := s.channels[id]
		if state == channelMissing || len(id) < 2 || (id[0] != 'C' && id[0] != 'G') {
			slackError(w, "channel_not_found")
			return
		}
		writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{
			"id": id, "name": strings.ToLower(id), "is_channel": true, "is_member": state != channelNotMember,
		}})
	case "conversations.open":
		users := strings.Split(p["users"], ",")
		if p["users"] == "" || len(users) != 1 || !isUserID(users[0]) {
			slackError(w, "user_not_found")
			return
		}
		writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{"id": DMChannel(users[0]), "is_im": true, "user": users[0]}})
	case "views.publish":
		view := map[string]any{}
		if p["user_id"] == "" {
			slackError(w, "invalid_arguments")
			return
		}
		if err := json.Unmarshal([]byte(p["view"]), &view); err != nil || view["type"] != "home" {
			slackError(w, "invalid_arguments")
			return
		}
		s.viewSeq++
		view["id"] = fmt.Sprintf("VHOME%06d", s.viewSeq)
		view["team_id"] = s.team
		writeJSON(w, map[string]any{"ok": true, "view": view})
	case "files.getUploadURLExternal":
		n, err := strconv.Atoi(p["length"])
		if p["filename"] == "" || err != nil || n <= 0 {
			slackError(w, "invalid_arguments")
			return
		}
		s.msgSeq++
		id := fmt.Sprintf("F%08d", s.msgSeq)
		s.uploads[id] = &upload{name: p["filename"], length: n}
		writeJSON(w, map[string]any{"ok": true, "upload_url": s.srv.URL + "/upload/" + id, "file_id": id})
	case "files.completeUploadExternal":
		var files []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal([]byte(p["files"]), &files); err != nil || len(files) == 0 {
			slackError(w, "invalid_arguments")
			return
		}
		if ch := p["channel_id"]; ch == "" || isUserID(ch) {
			slackError(w, "invalid_channel")
			return
		}
		var done []map[string]any
		for _, f := range files {
			up, ok := s.uploads[f.ID]
			if !ok || !up.uploaded {
				slackError(w, "file_not_found")
				return
			}
			s.shared = append(s.shared, File{ID: f.ID, Name: up.name, Title: f.Title, Channel: p["channel_id"],
				Comment: p["initial_comment"], Content: up.content})
			delete(s.uploads, f.ID)
			done = append(done, map[string]any{"id": f.ID, "title": f.Title})
		}
		writeJSON(w, map[string]any{"ok": true, "files": done})
	case "apps.connections.open":
		if s.socketURL == "" {
			slackError(w, "socket_url_not_set")
			return
		}
		writeJSON(w, map[string]any{"ok": true, "url": s.socketURL})
	default:
		slackError(w, "unknown_method")
	}
}

// nextTSLocked returns a unique, increasing message ts; mu must be held.
func (s *Server) nextTSLocked() string {
	s.msgSeq++
	micros := int64(s.msgSeq) * 100
	return fmt.Sprintf("%d.%06d", 1700000000+micros/1_000_000, micros%1_000_000)
}

func (s *Server) answerViewLocked(w http.ResponseWriter, method string, p map[string]string) {
	switch method {
	case "views.open", "views.push":
		if p["trigger_id"] == "" {
			slackError(w, "invalid_trigger_id")
			return
		}
	case "views.update":
		if p["view_id"] == "" && p["external_id"] == "" {
			slackError(w, "not_found")
			return
		}
	}
	view := map[string]any{}
	if raw := p["view"]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &view); err != nil {
			slackError(w, "invalid_arguments")
			return
		}
	}
	s.viewSeq++
	id := p["view_id"]
	if id == "" {
		id = fmt.Sprintf("V%08d", s.viewSeq)
	}
	view["id"] = id
	s.calls[len(s.calls)-1].ViewID = id // handleAPI recorded this call last, under mu
	view["hash"] = fmt.Sprintf("%d.hash%d", 1700000000+s.viewSeq, s.viewSeq)
	view["team_id"] = s.team
	writeJSON(w, map[string]any{"ok": true, "view": view})
}

// Blocks decodes the call's "blocks" (a JSON array in a form field or a JSON
// body); for a views.* call without one, the view's blocks. Nil when absent.
func (c Call) Blocks() []map[string]any {
	raw, ok := c.Params["blocks"]
	if !ok {
		v := c.View()
		if v == nil {
			return nil
		}
		b, _ := json.Marshal(v["blocks"])
		raw = string(b)
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return nil
	}
	return blocks
}

// View decodes the call's "view" object; nil when absent.
func (c Call) View() map[string]any {
	raw, ok := c.Params["view"]
	if !ok {
		return nil
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil
	}
	return v
}

// Text joins, one per line, the "text" param and every "text" string nested
// anywhere in the call's JSON params (blocks, view, attachments, ...): what a
// person would read. Use it with strings.Contains.
func (c Call) Text() string {
	var parts []string
	if t := c.Params["text"]; t != "" {
		parts = append(parts, t)
	}
	keys := make([]string, 0, len(c.Params))
	for k := range c.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := c.Params[k]
		if k == "text" || !looksJSON(v) {
			continue
		}
		var tree any
		if json.Unmarshal([]byte(v), &tree) == nil {
			parts = collectText(tree, parts)
		}
	}
	return strings.Join(parts, "\n")
}

func looksJSON(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && (s[0] == '{' || s[0] == '[')
}

func collectText(v any, parts []string) []string {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		// "text" first, then the rest in a stable order.
		sort.Slice(keys, func(i, j int) bool {
			if (keys[i] == "text") != (keys[j] == "text") {
				return keys[i] == "text"
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			if s, ok := v[k].(string); ok && k == "text" {
				parts = append(parts, s)
				continue
			}
			parts = collectText(v[k], parts)
		}
	case []any:
		for _, e := range v {
			parts = collectText(e, parts)
		}
	}
	return parts
}

// String renders a call for failure messages.
func (c Call) String() string {
	keys := make([]string, 0, len(c.Params))
	for k := range c.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(c.Method)
	for _, k := range keys {
		b.WriteString(" " + k + "=" + strconv.Quote(c.Params[k]))
	}
	return b.String()
}
