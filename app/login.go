package app

import "context"

// Login rules.
const (
	MaxFailedLogins = 5  // failures in a row before the account locks
	LockMinutes     = 15 // how long it stays locked
)

// LoginService checks console logins and the sessions they start.
type LoginService interface {
	// Login checks a username and password. A wrong password, an unknown
	// user and a disabled user get the same answer (EUNAUTHORIZED) after the
	// same work. Each attempt is counted, by the name typed whether or not a
	// user has it, before the password is checked: MaxFailedLogins attempts
	// without a success lock the name for LockMinutes (EFORBIDDEN, for the
	// audit log; the console answers it like the others).
	Login(ctx context.Context, username, password string) (*User, error)
	// ChangePassword sets a new password after checking the old one, and
	// ends the user's other sessions. Errors: EUNAUTHORIZED, EINVALID.
	ChangePassword(ctx context.Context, userID int64, old, new string) error
	// SessionPrincipal returns the user of a session, and its principal,
	// while the user is enabled and the session's version is current.
	// Errors: EUNAUTHORIZED.
	SessionPrincipal(ctx context.Context, userID int64, version int) (*User, *Principal, error)
	// Logout ends every session of the user.
	Logout(ctx context.Context, userID int64) error
}
