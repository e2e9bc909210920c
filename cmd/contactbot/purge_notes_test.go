package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"contactbot/bot"
	"contactbot/bot/kv"
	"contactbot/config"
	"contactbot/crm"
	"contactbot/crm/crmtest"
)

// TestPurgeCommandWritesServesNotes: `contactbot purge` announces what it
// purged as serve's periodic purge does, with the same outbox notes (the
// audit channel's line, the Home tabs' refresh), although it runs no bot.
func TestPurgeCommandWritesServesNotes(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		testPurgeCommandWritesServesNotes(t, crmtest.NewDatabase(t), crmtest.NewDatabase(t))
	})
	t.Run("sqlite", func(t *testing.T) {
		testPurgeCommandWritesServesNotes(t, "sqlite://"+filepath.Join(t.TempDir(), DatabaseFile), "sqlite://"+filepath.Join(t.TempDir(), DatabaseFile))
	})
}

func testPurgeCommandWritesServesNotes(t *testing.T, serveURL, cliURL string) {
	ctx := context.Background()
	environ := map[string]string{"DATABASE_URL": serveURL, "AUDIT_CHANNEL": "CAUDIT", "SUPPRESSION_KEY": crmtest.SuppressionKey}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	// serve: the store as serve opens it, its bot, its purge job.
	cfg, err := config.Load(environ)
	if err != nil {
		t.Fatal(err)
	}
	store, err := openStore(ctx, cfg, log, false)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.SetSuppressionKey(ctx, cfg.SuppressionKey); err != nil {
		t.Fatal(err)
	}
	bot.New(bot.Deps{Store: store, Slack: acceptingSlack{}, KV: kv.NewMemory(), Config: cfg, Log: log})
	deletion := deleteExpired(t, store)
	before := lastNote(t, store)
	if err := purgeJob(store, log).Run(ctx); err != nil {
		t.Fatal(err)
	}
	serveNotes := notesSince(t, store, before, deletion)

	// The command line: only the store, opened by the purge command.
	cliStore := crmtest.NewStoreAt(t, cliURL)
	deletion = deleteExpired(t, cliStore)
	before = lastNote(t, cliStore)
	t.Setenv("DATABASE_URL", cliURL)
	t.Setenv("AUDIT_CHANNEL", environ["AUDIT_CHANNEL"])
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"purge"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("purge exit %d: %s", code, errb.String())
	}
	cliNotes := notesSince(t, cliStore, before, deletion)

	if len(serveNotes) == 0 {
		t.Fatal("serve's purge wrote no notes")
	}
	if strings.Join(cliNotes, "\n") != strings.Join(serveNotes, "\n") {
		t.Errorf("the purge command wrote these notes:\n%s\nserve's purge job writes:\n%s", strings.Join(cliNotes, "\n"), strings.Join(serveNotes, "\n"))
	}
}

// deleteExpired deletes a contact with a restore window that has passed
// by the time a purge runs.
func deleteExpired(t *testing.T, store *crm.Store) crm.Deletion {
	t.Helper()
	id := crmtest.InsertFull(t, store, crmtest.Contact{FirstName: "Old", LastName: "Timer", Email: "old@example.com"}, crmtest.SmallFull)
	d, err := store.Delete(context.Background(), crm.DeleteRequest{ContactID: id, Actor: "U1", Reason: "duplicate", RestoreWindow: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	return d.Deletion
}

// noteTime is a time in a note (a Slack date's), which differs from run to run.
var noteTime = regexp.MustCompile(`\d{10}|\d{4}-\d\d-\d\d \d\d:\d\d`)

// lastNote is the id of the outbox's last note.
func lastNote(t *testing.T, store *crm.Store) int64 {
	t.Helper()
	var id int64
	if err := store.DB().Get(&id, `SELECT COALESCE(max(id), 0) FROM outbox`); err != nil {
		t.Fatal(err)
	}
	return id
}

// notesSince are the outbox's notes after note id after, as "channel
// payload" with the deletion's ids and the times made alike.
func notesSince(t *testing.T, store *crm.Store, after int64, deletion crm.Deletion) []string {
	t.Helper()
	var rows []struct {
		Channel string `db:"channel"`
		Payload string `db:"payload"`
	}
	if err := store.DB().Select(&rows, store.DB().Rebind(`SELECT channel, payload FROM outbox WHERE id > ? ORDER BY id`), after); err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, r := range rows {
		payload := strings.NewReplacer(deletion.ID, "DELETION", deletion.ContactID, "CONTACT").Replace(r.Payload)
		notes = append(notes, r.Channel+" "+noteTime.ReplaceAllString(payload, "TIME"))
	}
	return notes
}

// acceptingSlack takes every message: serve's side of the comparison
// delivers as serve does.
type acceptingSlack struct{ bot.Messenger }

func (acceptingSlack) Post(context.Context, string, bot.Message) (string, error) {
	return "1700000000.000100", nil
}
func (acceptingSlack) Update(context.Context, string, string, bot.Message) error { return nil }
