package app

import (
	"context"
	"strings"
	"time"
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

// UserService stores console users.
type UserService interface {
	// CreateUser stores u with a hashed password, setting its ID.
	// Errors: EINVALID, ECONFLICT (username taken).
	CreateUser(ctx context.Context, u *User, password string) error
	// FindUserByUsername returns one user. Errors: ENOTFOUND.
	FindUserByUsername(ctx context.Context, username string) (*User, error)
}

// Signature is a sender name shown as 【name】 at the start of every message.
type Signature struct {
	ID           int64
	DepartmentID int64
	Name         string
	Approved     bool
}

// SignatureService stores signatures.
type SignatureService interface {
	// CreateSignature stores s. Errors: EINVALID, ECONFLICT.
	CreateSignature(ctx context.Context, s *Signature) error
}
