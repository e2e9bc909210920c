package crm

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// EUNAVAILABLE is the code of a database that did not answer: down,
// unreachable, or not within the caller's deadline (a row locked by another
// change, a slow statement). The caller's sentence says what was not done.
const EUNAVAILABLE = "unavailable"

// The sentences of database failures; see classify.
var (
	// ErrDatabaseDown: the database cannot be reached.
	ErrDatabaseDown = &Error{Code: EUNAVAILABLE, Message: "The contact database is not answering right now. Try again in a minute; if it keeps failing, tell an admin."}
	// ErrDatabaseSlow: the database did not answer within the deadline.
	ErrDatabaseSlow = &Error{Code: EUNAVAILABLE, Message: "The contact database did not answer in time: the contact may be in the middle of another change, or the database is busy. Try again in a minute."}
	// ErrBadCharacters: text the database cannot store (NUL, broken UTF-8).
	ErrBadCharacters = &Error{Code: EINVALID, Message: "That text has characters contactbot cannot store (a control character or broken encoding). Retype it and try again."}
)

// classify maps a failure of the database itself (not of the caller's
// request) to its user-facing error, or nil when err is something else.
// Deadlines are the caller's (the ack budget) or PostgreSQL's cancel of the
// statement they caused.
func classify(err error) *Error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return ErrDatabaseSlow
	}
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		code := st.SQLState()
		switch {
		case code == "57014" || code == "55P03": // query_canceled (our deadline), lock_not_available
			return ErrDatabaseSlow
		case code == "22021" || code == "22P05": // character_not_in_repertoire, untranslatable_character
			return ErrBadCharacters
		case len(code) == 5 && code[:2] == "08", // connection exception
			code == "57P01", code == "57P02", code == "57P03", // shutdown, crash, cannot connect now
			code == "53300": // too many connections
			return ErrDatabaseDown
		}
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT:
			return ErrDatabaseSlow
		}
		return nil
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return ErrDatabaseSlow
		}
		return ErrDatabaseDown
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrDatabaseDown
	}
	return nil
}
