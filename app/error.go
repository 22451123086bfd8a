package app

import (
	"errors"
	"fmt"
)

// Every code smsgw answers or records lives in this file. Integrators match on
// them, so none changes once published.
//
// Request codes end a whole call: the HTTP layer maps each to a status in one
// table (ui/error.go), and a test fails when one has none.
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

	// Templated sends and reviews (all answered 400).
	ETEMPLATE_NOT_APPROVED  = "ETEMPLATE_NOT_APPROVED"  // the template has no approved version
	ESIGNATURE_NOT_APPROVED = "ESIGNATURE_NOT_APPROVED" // the signature is unknown, pending or rejected
	EPARAM_MISSING          = "EPARAM_MISSING"          // a variable of the template has no value
	EPARAM_UNKNOWN          = "EPARAM_UNKNOWN"          // a value for a variable the template lacks
	EPARAM_INVALID          = "EPARAM_INVALID"          // a value too long or of the wrong type
	ESENSITIVE_WORD         = "ESENSITIVE_WORD"         // the text holds a blocked or reviewable word
	ETEMPLATE_CHECK         = "ETEMPLATE_CHECK"         // the automatic checks refused a template
)

// RequestCodes lists every request code, for the HTTP status table's test.
var RequestCodes = []string{
	EINVALID, EUNAUTHORIZED, EFORBIDDEN, ENOTFOUND, ECONFLICT, EQUOTA, ERATELIMIT,
	EUNAVAILABLE, ESTORAGE, EINTERNAL,
	ETEMPLATE_NOT_APPROVED, ESIGNATURE_NOT_APPROVED, EPARAM_MISSING, EPARAM_UNKNOWN,
	EPARAM_INVALID, ESENSITIVE_WORD, ETEMPLATE_CHECK,
}

// Per-number codes, reported in a send answer's "rejected" list (and, for
// EBLACKLIST, stored on the rejected message). A templated send's param codes
// and ESENSITIVE_WORD can be per-number too, in a personalised batch.
const (
	EINVALID_NUMBER = "EINVALID_NUMBER" // not a mobile number of this country
	EDUPLICATE      = "EDUPLICATE"      // the number appears earlier in the same request
	EBLACKLIST      = "EBLACKLIST"      // the number is on a blacklist (黑名单)
)

// NumberCodes lists the per-number codes. One can also end a call (a lone
// number that is invalid), so each has an HTTP status too.
var NumberCodes = []string{EINVALID_NUMBER, EDUPLICATE, EBLACKLIST}

// Outcome codes: a message's error_code once it failed, expired or waits for
// a retry. Codes from the SMSC are SMPPCode's "SMPP_0x.." form.
const (
	EREVIEW     = "EREVIEW"     // a held batch that a reviewer rejected
	EVALIDITY   = "EVALIDITY"   // its validity period ran out before it could go
	ENOCHANNEL  = "ENOCHANNEL"  // no enabled, bound channel serves the number (retried)
	ESTOPPED    = "ESTOPPED"    // the engine or the channel stopped before the submit (retried)
	ECONNLOST   = "ECONNLOST"   // the SMPP session dropped with the submit unanswered (retried)
	EENCODE     = "EENCODE"     // the text could not be encoded into PDUs
	ETIMEOUT    = "ETIMEOUT"    // the SMSC did not answer the submit in time (retried)
	ENOTBOUND   = "ENOTBOUND"   // the channel lost its bind between placing and submitting (retried)
	ENORECEIPT  = "ENORECEIPT"  // submitted, but no delivery receipt came within the wait
	EDEADLETTER = "EDEADLETTER" // its queue job was claimed too often without an outcome
	EHELDFAILED = "EHELDFAILED" // held after a crash (possibly submitted), then failed by an operator
)

// SMPPCode names an SMSC's command_status as a message's outcome code.
func SMPPCode(status uint32) string { return fmt.Sprintf("SMPP_0x%02X", status) }

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
