package crm

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/lib/pq"
)

// ContractColumn is one CRM column the bot reads or writes: its name and
// its PostgreSQL type as docs/crm-contract.md writes it (text, boolean,
// timestamptz, numeric).
type ContractColumn struct {
	Name string
	Type string
}

// ContractTable is one CRM table the bot reads or writes, with the columns
// it names.
type ContractTable struct {
	Name    string
	Columns []ContractColumn
}

// Contract is the part of the CRM's schema the bot relies on: every table
// and column it reads or writes, with types (DESIGN.md "CRM schema").
// docs/crm-contract.md lists the same, and TestContractDocMatches keeps the
// two equal. Migrate refuses a CRM that does not meet it (CheckContract).
var Contract = []ContractTable{
	{"contacts", []ContractColumn{
		{"id", "text"}, {"location_id", "text"}, {"first_name", "text"}, {"last_name", "text"},
		{"email", "text"}, {"phone", "text"}, {"company_name", "text"}, {"source", "text"},
		{"dnd", "boolean"}, {"created_at", "timestamptz"}, {"updated_at", "timestamptz"},
	}},
	{"dnd_settings", []ContractColumn{{"contact_id", "text"}, {"channel", "text"}, {"status", "text"}}},
	{"conversations", []ContractColumn{{"id", "text"}, {"contact_id", "text"}, {"channel", "text"}, {"created_at", "timestamptz"}}},
	{"messages", []ContractColumn{{"id", "text"}, {"conversation_id", "text"}, {"direction", "text"}, {"body", "text"}, {"sent_at", "timestamptz"}}},
	{"notes", []ContractColumn{{"id", "text"}, {"contact_id", "text"}, {"body", "text"}, {"created_at", "timestamptz"}}},
	{"opportunities", []ContractColumn{{"id", "text"}, {"contact_id", "text"}, {"name", "text"}, {"status", "text"}, {"monetary_value", "numeric"}, {"created_at", "timestamptz"}}},
	{"tasks", []ContractColumn{{"id", "text"}, {"contact_id", "text"}, {"title", "text"}, {"due_at", "timestamptz"}, {"completed", "boolean"}}},
	{"appointments", []ContractColumn{{"id", "text"}, {"contact_id", "text"}, {"title", "text"}, {"starts_at", "timestamptz"}, {"status", "text"}}},
	{"workflow_enrollments", []ContractColumn{{"id", "text"}, {"contact_id", "text"}, {"workflow_name", "text"}, {"status", "text"}, {"enrolled_at", "timestamptz"}}},
}

// CRMTables are the names of the Contract's tables.
func CRMTables() []string {
	out := make([]string, len(Contract))
	for i, t := range Contract {
		out[i] = t.Name
	}
	return out
}

// ContractProblem is one way the CRM's tables differ from the Contract: a
// table missing (Column empty, Got empty), a column missing (Got empty) or
// of another type (Got is the database's type).
type ContractProblem struct {
	Table, Column, Want, Got string
}

// Error says the difference in a sentence, e.g. "CRM table notes: column
// body is integer, want text".
func (p ContractProblem) Error() string {
	switch {
	case p.Column == "":
		return fmt.Sprintf("CRM table %s is missing", p.Table)
	case p.Got == "":
		return fmt.Sprintf("CRM table %s: column %s is missing (want %s)", p.Table, p.Column, p.Want)
	default:
		return fmt.Sprintf("CRM table %s: column %s is %s, want %s", p.Table, p.Column, p.Got, p.Want)
	}
}

func (p ContractProblem) String() string { return p.Error() }

// ContractError is Migrate's refusal of a CRM that does not meet the
// Contract: nothing was changed.
type ContractError struct {
	Schema   string
	Problems []ContractProblem
}

func (e *ContractError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the CRM tables in schema %s do not match what contactbot needs (docs/crm-contract.md); nothing was changed:", e.Schema)
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	b.WriteString("\nPoint DATABASE_URL and CRM_SCHEMA at the CRM's database and schema, or fix those columns, then run migrate again.")
	return b.String()
}

// CheckContract compares the CRM's tables with the Contract and returns
// every difference, in the Contract's order, and how many of the Contract's
// tables exist: none is no difference (migrate creates them there, for a
// demo or a test), though not a CRM either. Columns the bot does not use,
// and extra tables, are not problems.
func (s *Store) CheckContract(ctx context.Context) (problems []ContractProblem, tablesFound int, err error) {
	cols, err := s.crmColumns(ctx)
	if err != nil {
		return nil, 0, err
	}
	if len(cols) == 0 {
		return nil, 0, nil
	}
	var out []ContractProblem
	for _, t := range Contract {
		have, ok := cols[t.Name]
		if !ok {
			out = append(out, ContractProblem{Table: t.Name})
			continue
		}
		for _, c := range t.Columns {
			got, ok := have[c.Name]
			switch {
			case !ok:
				out = append(out, ContractProblem{Table: t.Name, Column: c.Name, Want: c.Type})
			case !s.typeMeets(got, c.Type):
				out = append(out, ContractProblem{Table: t.Name, Column: c.Name, Want: c.Type, Got: got})
			}
		}
	}
	return out, len(cols), nil
}

// crmColumns are the columns of the Contract's tables that exist in the CRM
// schema, by table then column, with their types.
func (s *Store) crmColumns(ctx context.Context) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	var rows []struct{ T, C, Type string }
	var err error
	if s.dialect == Postgres {
		err = s.db.SelectContext(ctx, &rows, `SELECT c.relname AS t, a.attname AS c, format_type(a.atttypid, a.atttypmod) AS type
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
			WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname = ANY($2)`, s.schemas.CRM, pq.Array(CRMTables()))
	} else {
		for _, t := range CRMTables() {
			var cols []struct{ C, Type string }
			if err = s.db.SelectContext(ctx, &cols, `SELECT name AS c, type FROM pragma_table_info(?)`, t); err != nil {
				break
			}
			for _, c := range cols {
				rows = append(rows, struct{ T, C, Type string }{t, c.C, c.Type})
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read the CRM tables' columns: %w", err)
	}
	for _, r := range rows {
		if out[r.T] == nil {
			out[r.T] = map[string]string{}
		}
		out[r.T][r.C] = strings.ToLower(r.Type)
	}
	return out, nil
}

// typeMeets reports whether a column of database type got holds what the
// bot reads and writes as want: varchar for text, any precision of numeric.
// On SQLite, whose types are affinities, the declared types of its 00001.
func (s *Store) typeMeets(got, want string) bool {
	if s.dialect == SQLite {
		a := sqliteAffinity(got)
		switch want {
		case "text":
			return a == "TEXT"
		case "numeric":
			return a == "NUMERIC" || a == "REAL" || a == "INTEGER"
		}
		return a == "NUMERIC" // BOOLEAN, TIMESTAMP
	}
	got = typmod.ReplaceAllString(got, "")
	switch want {
	case "text":
		return got == "text" || got == "character varying"
	case "timestamptz":
		return got == "timestamp with time zone"
	}
	return got == want
}

var typmod = regexp.MustCompile(`\(.*\)$`)

// sqliteAffinity is SQLite's column affinity of a declared type (its rules
// in order, https://www.sqlite.org/datatype3.html section 3.1).
func sqliteAffinity(decl string) string {
	d := strings.ToUpper(decl)
	switch {
	case strings.Contains(d, "INT"):
		return "INTEGER"
	case strings.Contains(d, "CHAR"), strings.Contains(d, "CLOB"), strings.Contains(d, "TEXT"):
		return "TEXT"
	case d == "", strings.Contains(d, "BLOB"):
		return "BLOB"
	case strings.Contains(d, "REAL"), strings.Contains(d, "FLOA"), strings.Contains(d, "DOUB"):
		return "REAL"
	}
	return "NUMERIC"
}

// Extensions are the PostgreSQL extensions the migrations need: unaccent
// for accent-free name search, pgcrypto for the suppression list's keyed
// hashes.
var Extensions = []string{"pgcrypto", "unaccent"}

// Extensions reports which of the extensions the bot needs are installed in
// the database and which are not (migrate creates them, which needs the
// right to); both empty on SQLite.
func (s *Store) Extensions(ctx context.Context) (present, missing []string, err error) {
	if s.dialect != Postgres {
		return nil, nil, nil
	}
	var have []string
	if err := s.db.SelectContext(ctx, &have, `SELECT extname FROM pg_extension WHERE extname = ANY($1)`, pq.Array(Extensions)); err != nil {
		return nil, nil, fmt.Errorf("read the installed extensions: %w", err)
	}
	sort.Strings(have)
	for _, e := range Extensions {
		if i := sort.SearchStrings(have, e); i < len(have) && have[i] == e {
			present = append(present, e)
		} else {
			missing = append(missing, e)
		}
	}
	return present, missing, nil
}
