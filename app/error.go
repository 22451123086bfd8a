package app

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer. The HTTP layer maps them to statuses in one
// table; integrators match on them, so they never change once published.
const (
	EINVALID      = "EINVALID"      // the input is malformed or breaks a rule
	EUNAUTHORIZED = "EUNAUTHORIZED" // the caller is not authenticated
	EFORBIDDEN    = "EFORBIDDEN"    // authenticated, but not allowed
	ENOTFOUND     = "ENOTFOUND"     // no such record, or not visible to the caller
	ECONFLICT     = "ECONFLICT"     // the record exists or the state forbids the change
	EQUOTA        = "EQUOTA"        // not enough message quota
	ERATELIMIT    = "ERATELIMIT"    // too many requests
	EUNAVAILABLE  = "EUNAVAILABLE"  // shutting down or overloaded; retry later
	ESTORAGE      = "ESTORAGE"      // the disk (or the database's size cap) is full; nothing was stored
	EINTERNAL     = "EINTERNAL"     // a bug or an infrastructure fault

	// Per-number codes, reported in a send answer's "rejected" list.
	EINVALID_NUMBER = "EINVALID_NUMBER"
	EDUPLICATE      = "EDUPLICATE"
)

// Error is the one error type of smsgw. Message is safe to show to the caller;
// Details carries machine-readable context such as the offending field.
type Error struct {
	Code    string
	Message string
	Details map[string]any
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("smsgw error: code=%s message=%s", e.Code, e.Message)
}

// Errorf builds an *Error with a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError builds an EINVALID error that names the offending field.
func FieldError(field string, format string, args ...any) *Error {
	e := Errorf(EINVALID, format, args...)
	e.Details = map[string]any{"field": field}
	return e
}

// ErrorCode returns the code of an *Error in err's chain, EINTERNAL for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of an *Error in err's chain, and
// a generic message for anything else so internal details never leak.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "内部错误 (internal error)"
}
