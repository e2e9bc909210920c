package bot

import (
	"strings"
	"testing"
)

func TestManifestHTTP(t *testing.T) {
	m, err := Manifest("https://contactbot.example.com/", "", false)
	if err != nil {
		t.Fatalf("Manifest: %v", err)
	}
	for _, want := range []string{
		"display_information:\n  name: contactbot\n",
		"  bot_user:\n    display_name: contactbot\n    always_online: true\n",
		`    - command: "/contact"` + "\n",
		`      url: "https://contactbot.example.com/slack/commands"` + "\n",
		`      usage_hint: "[find|delete|cleanup|dnd|stop-followup|report|restore|deletions|withdraw|history|suppression|audit|help] name, email, phone or id"` + "\n",
		"      should_escape: false\n",
		"oauth_config:\n  scopes:\n    bot:\n" +
			`      - "commands"` + "\n" +
			`      - "chat:write"` + "\n" +
			`      - "im:write"` + "\n" +
			`      - "usergroups:read"` + "\n" +
			`      - "files:write"` + "\n",
		"  app_home:\n    home_tab_enabled: true\n    messages_tab_enabled: true\n    messages_tab_read_only_enabled: true\n",
		"  shortcuts:\n" +
			`    - name: "Find contacts in this message"` + "\n" +
			`      type: "message"` + "\n" +
			`      callback_id: "find_contacts"` + "\n" +
			`      description: "Look up every email, phone number and contact id in the message"` + "\n",
		"settings:\n  event_subscriptions:\n" +
			`    request_url: "https://contactbot.example.com/slack/events"` + "\n" +
			"    bot_events:\n" +
			`      - "app_home_opened"` + "\n" +
			"  interactivity:\n    is_enabled: true\n" +
			`    request_url: "https://contactbot.example.com/slack/interactions"` + "\n",
		"  org_deploy_enabled: false\n",
		"  socket_mode_enabled: false\n",
		"  token_rotation_enabled: false\n",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("manifest lacks %q:\n%s", want, m)
		}
	}
	if strings.Contains(m, "users:read") {
		t.Errorf("manifest asks for users:read, which nothing uses:\n%s", m)
	}
	for _, verb := range Verbs[1:] {
		if !strings.Contains(UsageHint(), verb) {
			t.Errorf("usage hint %q lacks %s", UsageHint(), verb)
		}
	}
	if strings.Contains(m, "//slack") {
		t.Errorf("trailing slash not trimmed:\n%s", m)
	}
	if strings.Contains(m, "\t") {
		t.Errorf("manifest contains a tab (invalid YAML indentation):\n%s", m)
	}
}

func TestManifestVariants(t *testing.T) {
	tests := []struct {
		base, command string
		socket        bool
		want, not     []string
	}{
		{
			base: "https://h.example/prefix///", command: "crm",
			want: []string{`command: "/crm"`, `url: "https://h.example/prefix/slack/commands"`,
				`request_url: "https://h.example/prefix/slack/interactions"`},
		},
		{
			base: "http://localhost:3000", command: "/contact-dev",
			want: []string{`command: "/contact-dev"`, `url: "http://localhost:3000/slack/commands"`,
				`request_url: "http://localhost:3000/slack/interactions"`},
		},
		{
			base: "http://127.0.0.1:3000", want: []string{`url: "http://127.0.0.1:3000/slack/commands"`},
		},
		{
			base: "https://h.example", socket: true,
			want: []string{"socket_mode_enabled: true", `url: "https://h.example/slack/commands"`},
		},
		{
			base: "", socket: true,
			want: []string{"socket_mode_enabled: true", `command: "/contact"`, "is_enabled: true",
				"  event_subscriptions:\n    bot_events:\n      - \"app_home_opened\"\n", `callback_id: "find_contacts"`},
			not: []string{"url:", "request_url:"},
		},
	}
	for _, tt := range tests {
		m, err := Manifest(tt.base, tt.command, tt.socket)
		if err != nil {
			t.Errorf("Manifest(%q, %q, %v): %v", tt.base, tt.command, tt.socket, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(m, w) {
				t.Errorf("Manifest(%q, %q, %v) lacks %q:\n%s", tt.base, tt.command, tt.socket, w, m)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(m, n) {
				t.Errorf("Manifest(%q, %q, %v) contains %q:\n%s", tt.base, tt.command, tt.socket, n, m)
			}
		}
	}
}

func TestManifestRefusesBadInput(t *testing.T) {
	tests := []struct {
		base, command string
		socket        bool
	}{
		{base: ""},
		{base: "contactbot.example.com"},
		{base: "/slack"},
		{base: "http://contactbot.example.com"},
		{base: "ftp://contactbot.example.com"},
		{base: "https://"},
		{base: "https://h.example/?x=1"},
		{base: "https://h.example/#frag"},
		{base: "https://user:pw@h.example"},
		{base: "https://h.example:99999x"},
		{base: "http://localhost.evil.example"},
		{base: "https://h.example", command: "/Contact"},
		{base: "https://h.example", command: "/con tact"},
		{base: "https://h.example", command: "/" + strings.Repeat("a", 32)},
		{base: "https://h.example", command: "/"},
		{base: "not a url", socket: true},
	}
	for _, tt := range tests {
		m, err := Manifest(tt.base, tt.command, tt.socket)
		if err == nil {
			t.Errorf("Manifest(%q, %q, %v) = nil error, manifest:\n%s", tt.base, tt.command, tt.socket, m)
			continue
		}
		if m != "" {
			t.Errorf("Manifest(%q, %q, %v) returned text with error %v", tt.base, tt.command, tt.socket, err)
		}
		if strings.Contains(err.Error(), "pw@") {
			t.Errorf("error echoes credentials: %v", err)
		}
	}
}
