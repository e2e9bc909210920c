package crm

// SearchWhere is the WHERE clause (on contacts c) and arguments that Search
// runs for q, so tests can check the query plan of the real query.
func (s *Store) SearchWhere(q string) (string, []any) {
	var res SearchResult
	where, args, _, _ := s.searchCondition(q, &res)
	return where, args
}

// DuplicatesQuery is the query Search runs to flag possible duplicates of c.
func (s *Store) DuplicatesQuery(c Contact) (string, []any) { return s.duplicatesQuery(c) }

// ArchivedContactWhere is the condition (on archived_rows a) FindDeletions
// runs to find deletions by an email or a phone number.
func (s *Store) ArchivedContactWhere(q string) (string, []any) {
	return s.dialect.archivedContactWhere(q)
}

// IsUniqueViolation is isUniqueViolation, for tests on each dialect's errors.
var IsUniqueViolation = isUniqueViolation
