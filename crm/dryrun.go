package crm

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"contactbot/internal/words"
)

// CRMMarker starts the comment line MigrateDryRun writes before each
// statement that touches a CRM table.
const CRMMarker = "-- [CRM]"

// MigrateDryRun writes to w every statement Migrate would run, in order,
// under the name of its migration, and changes nothing. Before each
// statement that touches a CRM table it writes a line starting with
// CRMMarker that names the tables; a CREATE … IF NOT EXISTS of a CRM table
// or index that already exists is marked as skipped. When the CRM's tables
// do not meet the Contract it writes the differences and returns the
// *ContractError Migrate would.
func (s *Store) MigrateDryRun(ctx context.Context, w io.Writer) error {
	if err := s.checkBeforeMigrate(ctx); err != nil {
		fmt.Fprintf(w, "-- migrate would stop here, before changing anything:\n-- %s\n", strings.ReplaceAll(err.Error(), "\n", "\n-- "))
		return err
	}
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return err
	}
	files, err := migrationFiles(s.dialect)
	if err != nil {
		return err
	}
	files = append(files, migrationFile{Version: ownSchemaVersion})
	slices.SortFunc(files, func(a, b migrationFile) int { return int(a.Version - b.Version) })
	l := ownSchemaLayout
	if s.dialect == Postgres {
		if l, err = s.layout(ctx); err != nil {
			return err
		}
	}
	var pending []migrationFile
	for _, f := range files {
		if !applied[f.Version] {
			pending = append(pending, f)
		}
	}
	if len(pending) == 0 {
		fmt.Fprintf(w, "-- nothing to apply: every migration up to %05d is applied\n", files[len(files)-1].Version)
		return nil
	}
	fmt.Fprintf(w, "-- %s to apply; lines starting %q precede statements that touch a CRM table\n", words.Plural(len(pending), "migration", "migrations"), CRMMarker)
	if s.dialect == Postgres && l != ownSchemaLayout {
		missing, err := s.extensionsForPublic(ctx)
		if err != nil {
			return err
		}
		for _, e := range missing {
			fmt.Fprintf(w, "\n-- before the migrations: the extension %s, in schema public\n%s\n", e, extensionStatement(e))
		}
	}
	for _, f := range pending {
		path := ""
		if s.dialect == Postgres {
			if l != ownSchemaLayout && f.Version <= ownSchemaVersion {
				path = " (search_path: " + searchPath(s.schemas.CRM, s.schemas.Bot) + ")"
			} else {
				path = " (search_path: " + searchPath(s.schemas.Bot, s.schemas.CRM) + ")"
			}
		}
		if f.Name == "" {
			fmt.Fprintf(w, "\n-- migration %05d (Go): the bot's tables, views and functions move from schema %s into schema %s%s\n", f.Version, s.schemas.CRM, s.schemas.Bot, path)
			if s.dialect != Postgres {
				fmt.Fprintln(w, "-- (nothing on SQLite, which has no schemas)")
				continue
			}
			stmts, err := s.moveStatements(ctx, s.db, l == freshLayout)
			if err != nil {
				return err
			}
			for _, q := range stmts {
				fmt.Fprintln(w, q)
			}
			continue
		}
		fmt.Fprintf(w, "\n-- migration %s%s\n", f.Name, path)
		text, err := fs.ReadFile(migrations, "migrations/"+string(s.dialect)+"/"+f.Name)
		if err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		for _, q := range upStatements(string(text)) {
			marker, err := s.crmMarker(ctx, q)
			if err != nil {
				return err
			}
			// The marker right above the code, below the comments that
			// introduce it.
			comments, code := leadingComments(q)
			fmt.Fprint(w, comments)
			if marker != "" {
				fmt.Fprintln(w, marker)
			}
			fmt.Fprintln(w, strings.TrimRight(code, "\n"))
		}
	}
	return nil
}

// appliedVersions are the migrations the database has applied.
func (s *Store) appliedVersions(ctx context.Context) (map[int64]bool, error) {
	table, err := s.versionTable(ctx)
	if err != nil || table == "" {
		return nil, err
	}
	var vs []int64
	if err := s.db.SelectContext(ctx, &vs, `SELECT version_id FROM `+table+` WHERE is_applied`); err != nil {
		return nil, fmt.Errorf("read the applied migrations: %w", err)
	}
	out := map[int64]bool{}
	for _, v := range vs {
		out[v] = true
	}
	return out, nil
}

// upStatements splits a goose migration's Up section into its statements,
// as goose runs them: each ends with a line ending in ";", or is a
// StatementBegin…StatementEnd block; comments stay with the statement they
// precede.
func upStatements(text string) []string {
	var out []string
	var buf strings.Builder
	inUp, inBlock := false, false
	flush := func() {
		if strings.TrimSpace(buf.String()) != "" {
			out = append(out, buf.String())
		}
		buf.Reset()
	}
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "-- +goose Up"):
			inUp = true
			continue
		case strings.HasPrefix(t, "-- +goose Down"):
			flush()
			return out
		case !inUp:
			continue
		case strings.HasPrefix(t, "-- +goose StatementBegin"):
			inBlock = true
			continue
		case strings.HasPrefix(t, "-- +goose StatementEnd"):
			inBlock = false
			flush()
			continue
		case strings.HasPrefix(t, "-- +goose"):
			continue
		}
		buf.WriteString(line + "\n")
		if !inBlock && strings.HasSuffix(t, ";") && !strings.HasPrefix(t, "--") {
			flush()
		}
	}
	flush()
	return out
}

// leadingComments splits statement q into its leading comment (and
// blank) lines and the rest.
func leadingComments(q string) (comments, code string) {
	rest := q
	for rest != "" {
		line, after, _ := strings.Cut(rest, "\n")
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
			break
		}
		rest = after
	}
	return q[:len(q)-len(rest)], rest
}

var (
	sqlComment = regexp.MustCompile(`--[^\n]*`)
	// crmTableUse finds a table named after a keyword that reads, writes,
	// alters, indexes or references it.
	crmTableUse = regexp.MustCompile(`(?i)\b(?:ON|TABLE|INTO|UPDATE|FROM|JOIN|REFERENCES)\s+(?:ONLY\s+)?(?:IF\s+(?:NOT\s+)?EXISTS\s+)?"?([a-z_][a-z0-9_]*)"?`)
	createCRM   = regexp.MustCompile(`(?is)^\s*CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+([a-z_][a-z0-9_]*)`)
	createIndex = regexp.MustCompile(`(?is)^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+IF\s+NOT\s+EXISTS\s+([a-z_][a-z0-9_]*)\s+ON\s+([a-z_][a-z0-9_]*)`)
)

// crmMarker is the CRMMarker line for statement q: empty when q touches no
// CRM table.
func (s *Store) crmMarker(ctx context.Context, q string) (string, error) {
	code := sqlComment.ReplaceAllString(q, "")
	var touched []string
	for _, m := range crmTableUse.FindAllStringSubmatch(code, -1) {
		name := strings.ToLower(m[1])
		if slices.Contains(CRMTables(), name) && !slices.Contains(touched, name) {
			touched = append(touched, name)
		}
	}
	if len(touched) == 0 {
		return "", nil
	}
	marker := CRMMarker + " touches CRM table " + strings.Join(touched, ", ")
	// Which of two markers, by whether the CRM's schema has name already.
	pick := func(name, exists, missing string) (string, error) {
		ok, err := s.crmRelationExists(ctx, name)
		switch {
		case err != nil:
			return "", err
		case ok:
			return exists, nil
		}
		return missing, nil
	}
	if m := createCRM.FindStringSubmatch(code); m != nil && slices.Contains(CRMTables(), m[1]) {
		created := CRMMarker + " creates CRM table " + m[1]
		return pick(m[1], created+": it exists, so this is skipped", created+" (it does not exist yet)")
	}
	if m := createIndex.FindStringSubmatch(code); m != nil && slices.Contains(CRMTables(), m[2]) {
		return pick(m[1], marker+": index "+m[1]+" exists, so this is skipped", marker+": adds index "+m[1])
	}
	return marker, nil
}

// crmRelationExists reports whether the CRM's schema has a table or index
// of that name.
func (s *Store) crmRelationExists(ctx context.Context, name string) (bool, error) {
	var n int
	var err error
	if s.dialect == Postgres {
		err = s.db.GetContext(ctx, &n, `SELECT count(*) FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = $1 AND c.relname = $2`, s.schemas.CRM, name)
	} else {
		err = s.db.GetContext(ctx, &n, `SELECT count(*) FROM sqlite_master WHERE name = ?`, name)
	}
	if err != nil {
		return false, fmt.Errorf("look for %s: %w", name, err)
	}
	return n > 0, nil
}
