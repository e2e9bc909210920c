package crm

// DuplicatesQuery is the query Search runs to flag possible duplicates of c.
func (s *Store) DuplicatesQuery(c Contact) (string, []any) { return s.duplicatesQuery(c) }

// SearchProbe is one statement Search runs: a WHERE clause on contacts c.
type SearchProbe struct {
	Where string
	Args  []any
}

// SearchProbes is every statement Search runs for q (the probes, then the
// count, as a whole statement), so tests check the plans of the real queries.
func (s *Store) SearchProbes(q string) (probes []SearchProbe, count string, countArgs []any) {
	plan := s.planSearch(q)
	for _, p := range plan.probes {
		probes = append(probes, SearchProbe{p.where, p.args})
	}
	return probes, plan.count, plan.countArgs
}

// ArchivedContactWhere is the condition (on archived_rows a) FindDeletions
// runs to find deletions by an email or a phone number.
func (s *Store) ArchivedContactWhere(q string) (string, []any) {
	return s.dialect.archivedContactWhere(q)
}

// IsUniqueViolation is isUniqueViolation, for tests on each dialect's errors.
var IsUniqueViolation = isUniqueViolation
