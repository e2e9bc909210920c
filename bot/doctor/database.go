package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"contactbot/crm"
	"contactbot/internal/words"
)

// checkDatabase checks that the database answers and is migrated, that the
// CRM's tables are what the bot needs and that the extensions migrate
// needs are there. ready reports whether the bot's own tables are there,
// for the checks that read them.
func checkDatabase(ctx context.Context, d Deps) (checks []Check, ready bool) {
	if d.Store == nil {
		c := Check{Fail, "database", "", ""}
		switch {
		case errors.Is(d.StoreErr, ErrNoDatabase):
			c.Detail = "no embedded database yet at " + d.Embedded + " (DATABASE_URL is not set)"
			c.Fix = "run contactbot migrate, or set DATABASE_URL to the CRM's PostgreSQL database."
		default:
			c.Detail = fmt.Sprintf("cannot open %s: %v", describeDatabase(d), d.StoreErr)
			c.Fix = "check DATABASE_URL (the CRM's own PostgreSQL database) and that it accepts connections from here."
		}
		skipped := "not checked: no database"
		return []Check{c, {Note, "CRM contract", skipped, ""}, {Note, "extensions", skipped, ""}}, false
	}
	checks = append(checks, checkMigrations(ctx, d, &ready))
	checks = append(checks, checkContract(ctx, d))
	checks = append(checks, checkExtensions(ctx, d))
	return checks, ready
}

// checkMigrations: every migration this contactbot has is applied.
func checkMigrations(ctx context.Context, d Deps, ready *bool) Check {
	ctx, cancel := within(ctx)
	defer cancel()
	what := describeDatabase(d)
	current, latest, err := d.Store.MigrationStatus(ctx)
	switch {
	case err != nil:
		return Check{Fail, "database", fmt.Sprintf("%s answers, but its migrations could not be read: %v", what, err),
			"run contactbot migrate as the role that owns the bot's schema."}
	case current == 0:
		return Check{Fail, "database", what + " answers, but contactbot's migrations were never applied",
			"run contactbot migrate (contactbot migrate --dry-run shows what it would do first)."}
	case current < latest:
		return Check{Fail, "database", fmt.Sprintf("%s answers, but is migrated to version %d of %d", what, current, latest),
			"run contactbot migrate (the Procfile's release phase does it on every deploy)."}
	case current > latest:
		*ready = true
		return Check{Fail, "database", fmt.Sprintf("%s is migrated to version %d, newer than this contactbot's %d", what, current, latest),
			"run the newest contactbot: an older one may misread the bot's tables."}
	}
	*ready = true
	return Check{Pass, "database", fmt.Sprintf("%s answers and is migrated (version %d)", what, current), ""}
}

// describeDatabase names the database without credentials: PostgreSQL's
// host and database name and the schemas, or the SQLite file.
func describeDatabase(d Deps) string {
	if d.Config.DatabaseURL == "" {
		return "the embedded SQLite database " + d.Embedded
	}
	what := "PostgreSQL"
	if u, err := url.Parse(d.Config.DatabaseURL); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") && u.Host != "" {
		what += " at " + u.Host + u.Path
	}
	if d.Store != nil {
		s := d.Store.Schemas()
		what += fmt.Sprintf(" (bot schema %s, CRM schema %s)", s.Bot, s.CRM)
	}
	return what
}

// maxProblems is how many contract problems a line names.
const maxProblems = 4

// checkContract: the CRM's tables have the columns and types the bot needs.
func checkContract(ctx context.Context, d Deps) Check {
	ctx, cancel := within(ctx)
	defer cancel()
	problems, found, err := d.Store.CheckContract(ctx)
	if err != nil {
		return Check{Fail, "CRM contract", fmt.Sprintf("the CRM's tables could not be read: %v", err),
			"give the database role read access to the CRM schema's catalog, then run doctor again."}
	}
	if len(problems) == 0 {
		if found == 0 {
			where := "the database"
			if d.Store.Dialect() == crm.Postgres {
				where = "schema " + d.Store.Schemas().CRM
			}
			return Check{Note, "CRM contract", fmt.Sprintf("none of the %s exists in %s: migrate would create them, empty (a trial); for a real CRM, point DATABASE_URL and CRM_SCHEMA at its tables",
				words.Plural(len(crm.Contract), "CRM table", "CRM tables"), where), ""}
		}
		return Check{Pass, "CRM contract", fmt.Sprintf("the %s have every column the bot needs, with its type",
			words.Plural(len(crm.Contract), "CRM table", "CRM tables")), ""}
	}
	var named []string
	for i, p := range problems {
		if i == maxProblems {
			named = append(named, fmt.Sprintf("and %d more", len(problems)-maxProblems))
			break
		}
		named = append(named, p.Error())
	}
	return Check{Fail, "CRM contract", strings.Join(named, "; "),
		"point DATABASE_URL and CRM_SCHEMA at the CRM's database and schema, or make those tables match docs/crm-contract.md."}
}

// checkExtensions: the PostgreSQL extensions migrate needs are installed.
func checkExtensions(ctx context.Context, d Deps) Check {
	if d.Store.Dialect() != crm.Postgres {
		return Check{Note, "extensions", "not applicable on SQLite", ""}
	}
	ctx, cancel := within(ctx)
	defer cancel()
	present, missing, err := d.Store.Extensions(ctx)
	switch {
	case err != nil:
		return Check{Fail, "extensions", fmt.Sprintf("could not be read: %v", err),
			"give the database role read access to pg_extension, then run doctor again."}
	case len(missing) > 0:
		create := make([]string, len(missing))
		for i, e := range missing {
			create[i] = "CREATE EXTENSION " + e + ";"
		}
		return Check{Fail, "extensions", "missing: " + strings.Join(missing, ", "),
			"run contactbot migrate as a role that may create extensions, or have the database's owner run " + strings.Join(create, " ")}
	}
	return Check{Pass, "extensions", strings.Join(present, ", ") + " installed", ""}
}
