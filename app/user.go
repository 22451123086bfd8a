package app

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// RootDepartmentID is the department every other one descends from.
const RootDepartmentID = 1

// User is a person who logs in to the console.
type User struct {
	ID                 int64
	DepartmentID       int64
	Username           string
	DisplayName        string
	Role               Role
	Enabled            bool
	MustChangePassword bool
	SessionVersion     int // sessions carry it; bumping it ends them all
	CreatedAt          time.Time
}

// Validate checks a user's fields.
func (u *User) Validate() error {
	if n := strings.TrimSpace(u.Username); n == "" || len(n) > 64 {
		return FieldError("username", "用户名不能为空且最长64个字符")
	} else if !u.Role.Valid() {
		return FieldError("role", "未知角色：%q", u.Role)
	} else if u.DepartmentID == 0 {
		return FieldError("department_id", "请选择部门")
	}
	return nil
}

// UserService stores console users. Methods taking a principal check it may
// act on the user: a system administrator on anyone, a department
// administrator within its subtree and never above its own role; a nil
// principal is the platform itself (demo setup, the CLI).
type UserService interface {
	// CreateUser stores u with a hashed password, setting its ID.
	// Errors: EINVALID (fields, password policy), EFORBIDDEN, ECONFLICT (username taken).
	CreateUser(ctx context.Context, p *Principal, u *User, password string) error
	// FindUserByUsername returns one user. Errors: ENOTFOUND.
	FindUserByUsername(ctx context.Context, username string) (*User, error)
	// FindUsers lists the users p may manage.
	FindUsers(ctx context.Context, p *Principal) ([]*User, error)
	// UpdateUser enables or disables a user, changes its role, or resets
	// its password (the user must then change it at the next login).
	// Errors: EINVALID, EFORBIDDEN, ENOTFOUND.
	UpdateUser(ctx context.Context, p *Principal, id int64, u *UserUpdate) (*User, error)
}

// UserUpdate changes some of a user; nil fields stay.
type UserUpdate struct {
	Enabled  *bool
	Role     *Role
	Password *string
}

// ValidatePassword applies the password policy: at least 8 characters
// with letters and digits, and not the username.
func ValidatePassword(username, password string) error {
	var letter, digit bool
	for _, r := range password {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case unicode.IsLetter(r):
			letter = true
		}
	}
	if utf8.RuneCountInString(password) < 8 || !letter || !digit {
		return FieldError("password", "密码至少8位，且须同时包含字母和数字")
	} else if strings.EqualFold(password, username) {
		return FieldError("password", "密码不能与用户名相同")
	}
	return nil
}

// Signature is a sender name shown as 【name】 at the start of every message
// (短信签名). Departments submit them; a reviewer approves or rejects them. An
// approved signature serves its department's whole subtree.
type Signature struct {
	ID           int64
	DepartmentID int64
	Name         string
	Approved     bool // Status is approved
	Status       ReviewStatus
	Reason       string // why it was rejected
	Default      bool   // sent with when a templated send names none
	APIKeyID     int64  // the app that submitted it, told the review result
	ReviewedBy   int64
	ReviewedAt   time.Time
	CreatedAt    time.Time
}

// Validate checks a new signature: 2 to 20 characters, no brackets.
func (s *Signature) Validate() error {
	n := utf8.RuneCountInString(s.Name)
	if n < 2 || n > 20 || strings.ContainsAny(s.Name, "【】[]") || strings.TrimSpace(s.Name) != s.Name {
		return FieldError("name", "签名应为2到20个字，不含【】和首尾空格")
	}
	return nil
}

// SignatureService stores signatures as the CLI and the demo set them up,
// approved or not, without a caller.
type SignatureService interface {
	// CreateSignature stores s. Errors: EINVALID, ECONFLICT.
	CreateSignature(ctx context.Context, s *Signature) error
}
