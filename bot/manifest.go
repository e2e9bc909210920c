package bot

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

// DefaultCommandName is the slash command the manifest declares when none is given.
const DefaultCommandName = "/contact"

// MethodScopes maps each Slack Web API method contactbot calls with its bot
// token to the scopes it needs (none for some). A method on conversations
// needs one scope per kind of conversation it is used on: both are asked
// for. A test calls every Messenger method and what doctor calls, and
// checks that each method it sees is here.
var MethodScopes = map[string][]string{
	"chat.postMessage":      {"chat:write"},
	"chat.postEphemeral":    {"chat:write"},
	"chat.update":           {"chat:write"},
	"views.open":            nil,
	"views.update":          nil,
	"views.push":            nil,
	"views.publish":         nil,
	"usergroups.users.list": {"usergroups:read"},
	// Opens the bot's DM with a user, to update a DM whose channel id this
	// process has not seen (after a restart, or on another replica), and to
	// share a file there.
	"conversations.open": {"im:write"},
	// The audit export, shared in an admin's DM.
	"files.getUploadURLExternal":   {"files:write"},
	"files.completeUploadExternal": {"files:write"},
	// At start: which workspace the token belongs to, the only one served,
	// and (doctor) which scopes it was granted.
	"auth.test": nil,
	// doctor: is the bot a member of the channels it posts to? Public
	// channels need channels:read, private ones groups:read.
	"conversations.info": {"channels:read", "groups:read"},
}

// BotScopes are the bot token scopes contactbot asks for: the slash
// command's (which message shortcuts use too), and those of the methods in
// MethodScopes, no more. Events (app_home_opened) need none of their own.
var BotScopes = []string{"commands", "chat:write", "im:write", "usergroups:read", "files:write", "channels:read", "groups:read"}

// UsageHint is the slash command's usage hint in the manifest: every verb.
func UsageHint() string {
	return "[" + strings.Join(Verbs[1:], "|") + "] name, email, phone or id"
}

// BotEvents are the Events API events contactbot subscribes to: those
// HandleEvent handles.
var BotEvents = []string{"app_home_opened"}

// Shortcut is a shortcut the manifest declares.
type Shortcut struct {
	Name, Type, CallbackID, Description string
}

// Shortcuts are the shortcuts contactbot handles.
var Shortcuts = []Shortcut{
	{Name: "Find contacts in this message", Type: "message", CallbackID: CallbackFindContacts,
		Description: "Look up every email, phone number and contact id in the message"},
}

// commandNameRe: Slack slash commands are lower case, without spaces, at most 32 characters.
var commandNameRe = regexp.MustCompile(`^/[a-z0-9][a-z0-9_-]{0,30}$`)

// manifestTmpl is the app manifest in YAML. Every string is double-quoted
// (the q function), so that values like the usage hint, which begins with
// "[", stay strings.
var manifestTmpl = template.Must(template.New("manifest").Funcs(template.FuncMap{"q": strconv.Quote}).Parse(
	`_metadata:
  major_version: 1
  minor_version: 1
display_information:
  name: contactbot
  description: {{q "Find CRM contacts, and delete, restore or unsubscribe them safely."}}
features:
  app_home:
    home_tab_enabled: true
    messages_tab_enabled: true
    messages_tab_read_only_enabled: true
  bot_user:
    display_name: contactbot
    always_online: true
  shortcuts:
{{- range .Shortcuts}}
    - name: {{q .Name}}
      type: {{q .Type}}
      callback_id: {{q .CallbackID}}
      description: {{q .Description}}
{{- end}}
  slash_commands:
    - command: {{q .Command}}
{{- if .CommandsURL}}
      url: {{q .CommandsURL}}
{{- end}}
      description: {{q "Find, delete, restore or unsubscribe a CRM contact"}}
      usage_hint: {{q .UsageHint}}
      should_escape: false
oauth_config:
  scopes:
    bot:
{{- range .Scopes}}
      - {{q .}}
{{- end}}
settings:
  event_subscriptions:
{{- if .EventsURL}}
    request_url: {{q .EventsURL}}
{{- end}}
    bot_events:
{{- range .Events}}
      - {{q .}}
{{- end}}
  interactivity:
    is_enabled: true
{{- if .InteractionsURL}}
    request_url: {{q .InteractionsURL}}
{{- end}}
  org_deploy_enabled: false
  socket_mode_enabled: {{.SocketMode}}
  token_rotation_enabled: false
`))

// Manifest returns the Slack app manifest (YAML) for "Create an app from a
// manifest". baseURL is where the app is reachable: an absolute https URL,
// or http on localhost; a trailing slash is dropped, and the routes
// /slack/commands, /slack/interactions and /slack/events are appended. In Socket Mode Slack
// needs no URLs, so baseURL may then be empty and the URLs are left out.
// commandName defaults to /contact; the leading slash is optional.
func Manifest(baseURL, commandName string, socketMode bool) (string, error) {
	cmd := strings.TrimSpace(commandName)
	if cmd == "" {
		cmd = DefaultCommandName
	}
	if !strings.HasPrefix(cmd, "/") {
		cmd = "/" + cmd
	}
	if !commandNameRe.MatchString(cmd) {
		return "", fmt.Errorf("slash command %q: use a slash, then up to 31 lower-case letters, digits, - or _", cmd)
	}

	base := strings.TrimSpace(baseURL)
	if base == "" && !socketMode {
		return "", errors.New("the app's base URL is required (e.g. https://contactbot.example.com)")
	}
	if base != "" {
		var err error
		if base, err = checkBaseURL(base); err != nil {
			return "", err
		}
	}

	data := struct {
		Command, CommandsURL, InteractionsURL, EventsURL, UsageHint string
		Scopes, Events                                              []string
		Shortcuts                                                   []Shortcut
		SocketMode                                                  bool
	}{
		Command:    cmd,
		UsageHint:  UsageHint(),
		Scopes:     BotScopes,
		Events:     BotEvents,
		Shortcuts:  Shortcuts,
		SocketMode: socketMode,
	}
	if base != "" {
		data.CommandsURL = base + "/slack/commands"
		data.InteractionsURL = base + "/slack/interactions"
		data.EventsURL = base + "/slack/events"
	}
	var b strings.Builder
	if err := manifestTmpl.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// checkBaseURL validates the app's public URL and returns it without a
// trailing slash.
func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("base URL %q is not a URL", raw)
	}
	if u.User != nil {
		return "", errors.New("base URL must not contain a user or password")
	}
	host := u.Hostname()
	local := host == "localhost" || host == "127.0.0.1" || host == "::1"
	switch {
	case u.Scheme == "https" && host != "":
	case u.Scheme == "http" && local:
	default:
		return "", fmt.Errorf("base URL %q must be an absolute https:// URL (http:// only for localhost)", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("base URL %q must have no query or fragment", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}
