package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// cmdEnv is what a subcommand runs with.
type cmdEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
}

// subcommand is one `contactbot NAME`: its flags, declared on a FlagSet of
// its own, and what runs once they are parsed. Help is answered before
// anything runs, so asking for it never touches a database or Slack. No
// subcommand takes positional arguments: run refuses them for all.
type subcommand struct {
	name    string
	args    string // what follows the name in usage, e.g. "[--as USER]"
	summary string // one line for the command list
	// argsHint, when set, follows the refusal of a positional argument,
	// e.g. "the URL goes after --url".
	argsHint string
	// flags declares the subcommand's flags on fs and returns the function
	// that runs it once they are parsed.
	flags func(fs *flag.FlagSet) runFunc
}

// runFunc runs a subcommand whose flags are parsed.
type runFunc func(ctx context.Context, env cmdEnv) error

// subcommands lists every subcommand in the order usage shows them. A new
// one is one more entry here.
func subcommands() []subcommand {
	return []subcommand{
		{name: "serve", args: "[--demo-data]", summary: "serve Slack over HTTP on $PORT, or over Socket Mode when SLACK_APP_TOKEN is set",
			flags: serveFlags},
		{name: "migrate", args: "[--dry-run]", summary: "apply database migrations and exit (--dry-run: print them, change nothing)", flags: migrateFlags},
		{name: "doctor", summary: "check the deployment: a checklist of what is wrong, each with its fix; exit 1 if anything is",
			flags: noFlags(runDoctor)},
		{name: "purge", summary: "delete archives whose restore window has passed (serve does it too, within seconds)", flags: noFlags(purge)},
		{name: "shell", args: "[--as USER] [--data-dir DIR] [-v]", summary: "the whole bot in a terminal, on a demo CRM; no Slack, PostgreSQL or Redis needed",
			flags: shellFlags},
		{name: "manifest", args: "--url URL | --socket-mode", summary: "print the Slack app manifest for \"Create an app from a manifest\"",
			argsHint: "the URL goes after --url", flags: manifestFlags},
		{name: "seed", args: "--contacts N", summary: "fill the database with N generated contacts and linked rows (benchmarks)",
			flags: seedFlags},
		{name: "digest", args: "[--since 7d] [--demo]", summary: "print the weekly digest of the period before now", flags: digestFlags},
		{name: "audit", args: "[--since 30d] [--format csv|jsonl] [--demo]", summary: "write the audit trail of the period before now, for auditors",
			flags: auditFlags},
	}
}

// noFlags is the flags function of a subcommand that takes no flags.
func noFlags(run runFunc) func(*flag.FlagSet) runFunc {
	return func(*flag.FlagSet) runFunc { return run }
}

// usageError is a command line that cannot be run: it is reported with the
// usage, and the exit code is 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// run is main without the process: it returns the exit code. Help goes to
// stdout with exit code 0; a command line that cannot be run gets its usage
// on stderr and exit code 2; a failure exit code 1.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := cmdEnv{stdin: stdin, stdout: stdout, stderr: stderr, log: slog.New(slog.NewTextHandler(stderr, nil))}
	subs := subcommands()
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage(subs))
		return 2
	}
	if isHelp(args[0]) {
		if len(args) > 1 { // contactbot help SUBCOMMAND
			for _, sc := range subs {
				if sc.name == args[1] {
					fs, _ := sc.flagSet()
					fmt.Fprint(stdout, sc.usage(fs))
					return 0
				}
			}
			fmt.Fprintf(stderr, "contactbot help: no command %q\n\n%s", args[1], mainUsage(subs))
			return 2
		}
		fmt.Fprint(stdout, mainUsage(subs))
		return 0
	}
	var sc *subcommand
	for i := range subs {
		if subs[i].name == args[0] {
			sc = &subs[i]
		}
	}
	if sc == nil {
		what := "command"
		if strings.HasPrefix(args[0], "-") {
			what = "flag"
		}
		fmt.Fprintf(stderr, "contactbot: unknown %s %q\n\n%s", what, args[0], mainUsage(subs))
		return 2
	}

	fs, runFn := sc.flagSet()
	err := fs.Parse(args[1:])
	rest := fs.Args()
	switch {
	case errors.Is(err, flag.ErrHelp), err == nil && len(rest) == 1 && isHelp(rest[0]):
		fmt.Fprint(stdout, sc.usage(fs))
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "contactbot %s: %v\n\n%s", sc.name, err, sc.usage(fs))
		return 2
	case len(rest) > 0:
		msg := fmt.Sprintf("takes no arguments, got %q", strings.Join(rest, " "))
		if sc.argsHint != "" {
			msg += " (" + sc.argsHint + ")"
		}
		fmt.Fprintf(stderr, "contactbot %s: %s\n\n%s", sc.name, msg, sc.usage(fs))
		return 2
	}
	err = runFn(ctx, env)
	var cfgErr configError
	var use usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &use):
		fmt.Fprintf(stderr, "contactbot %s: %s\n\n%s", sc.name, use.msg, sc.usage(fs))
		return 2
	case errors.As(err, &cfgErr):
		fmt.Fprintf(stderr, "contactbot %s: the configuration is incomplete:\n", sc.name)
		for _, line := range strings.Split(cfgErr.err.Error(), "\n") {
			fmt.Fprintf(stderr, "  %s\n", line)
		}
		return 2
	}
	fmt.Fprintf(stderr, "contactbot %s: %v\n", sc.name, err)
	return 1
}

// flagSet declares sc's flags on a new FlagSet that prints nothing itself:
// run prints help and errors where each belongs.
func (sc subcommand) flagSet() (*flag.FlagSet, runFunc) {
	fs := flag.NewFlagSet("contactbot "+sc.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs, sc.flags(fs)
}

// usage is the help of one subcommand, with its flags.
func (sc subcommand) usage(fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: contactbot %s", sc.name)
	if sc.args != "" {
		b.WriteString(" " + sc.args)
	}
	fmt.Fprintf(&b, "\n\n%s.\n", upperFirst(sc.summary))
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		b.WriteString("\nFlags:\n")
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if detail := subcommandDetails[sc.name]; detail != "" {
		b.WriteString("\n" + detail)
	}
	return b.String()
}

// subcommandDetails say more than the summary where it helps.
var subcommandDetails = map[string]string{
	"serve": `Without DATABASE_URL it uses the embedded SQLite file in the data directory,
empty unless --demo-data fills it with the demo CRM; without REDIS_URL an
in-process store. Either way it must then be the only replica.
Configuration is read from the environment; see docs/operations.md.
`,
	"migrate": `Uses DATABASE_URL, or the embedded SQLite file when it is unset.
The bot's tables go in schema CONTACTBOT_SCHEMA (contactbot); the CRM's stay
in CRM_SCHEMA (public). It first checks the CRM's tables against
docs/crm-contract.md and stops, changing nothing, naming each difference.
--dry-run prints every statement it would run, by migration, "-- [CRM]"
before those that touch a CRM table, and changes nothing.
With SUPPRESSION_KEY set it stores the key the first time and later only
checks it: run it as the database role that owns the schema, and serve may
run as a role that cannot read the key (docs/operations.md: Security).
`,
	"doctor": `Checks, reading the environment as serve does: the database (reachable,
migrated), the CRM tables against docs/crm-contract.md, the PostgreSQL
extensions, Redis, the Slack token and its scopes, the bot's membership of
the approvals, incident, audit and digest channels, the admin user group,
SUPPRESSION_KEY against the stored key, and the outbox (its oldest waiting
message, any conversation it is stuck on and why).
Prints one line per check: ✓ passed, ✗ failed (with the fix), – fine as it
is (not configured, not applicable). Exit code 1 when any line is ✗.
It changes nothing: no migration, no message, no database file created.
serve logs the same checklist once at start; the shell's /doctor shows it.
`,
	"purge": "Uses DATABASE_URL, or the embedded SQLite file when it is unset.\n",
	"shell": `Type what you would type after /contact in Slack; numbers press buttons.
It never uses DATABASE_URL: it works on its own demo database.
`,
	"seed": "Uses DATABASE_URL, or the embedded SQLite file when it is unset.\n",
	"digest": `The same text the weekly post shows (DIGEST_CHANNEL at DIGEST_AT), with
people and channels as ids and times in UTC.
` + readsDetail,
	"audit": `One row (CSV, after a header row) or line (JSONL) per audit entry, oldest
first, times in UTC ISO-8601 (2026-11-28T10:49:00Z); ids, reasons and
outcomes, no tokens and no contact details.
` + readsDetail,
}

// readsDetail is where the subcommands that only read find their data.
const readsDetail = `Reads DATABASE_URL, or the embedded SQLite file when it is unset; --demo
reads the shell's demo database instead. It never creates a database.
A period is 7d, 2w, 36h, 1d12h or any Go duration (w weeks, d days).
`

// mainUsage lists the subcommands.
func mainUsage(subs []subcommand) string {
	var b strings.Builder
	b.WriteString("Usage: contactbot <command> [flags]\n\nCommands:\n")
	for _, sc := range subs {
		fmt.Fprintf(&b, "  %-9s %s\n", sc.name, sc.summary)
	}
	b.WriteString("\n`contactbot <command> --help` describes a command and its flags.\nConfiguration is read from the environment; see docs/operations.md.\n")
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
