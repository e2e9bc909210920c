package bot_test

import (
	"testing"

	"contactbot/bot"
	"contactbot/config"
)

// TestCheckWorkspace: serve starts only when SLACK_TEAM_ID, if set, names
// the workspace the bot token belongs to (auth.test).
func TestCheckWorkspace(t *testing.T) {
	cfg := func(team string) *config.Config { return &config.Config{SlackTeamID: team} }
	cases := []struct {
		name    string
		cfg     *config.Config
		learned bot.Workspace
		want    string
	}{
		{"Unset", cfg(""), bot.Workspace{TeamID: "T0TEST"}, ""},
		{"Same", cfg("T0TEST"), bot.Workspace{TeamID: "T0TEST", EnterpriseID: "E0ORG"}, ""},
		{"Another", cfg("T0OTHER"), bot.Workspace{TeamID: "T0TEST"},
			"SLACK_TEAM_ID is T0OTHER but SLACK_BOT_TOKEN belongs to workspace T0TEST (auth.test): set SLACK_TEAM_ID to T0TEST, unset it, or use the bot token of workspace T0OTHER"},
		{"NoneNamed", cfg(""), bot.Workspace{},
			"auth.test named no workspace for SLACK_BOT_TOKEN, so contactbot cannot tell which workspace to serve"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := bot.CheckWorkspace(c.cfg, c.learned)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Errorf("CheckWorkspace = %q, want %q", got, c.want)
			}
		})
	}
}
