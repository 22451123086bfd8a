package app

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Department is a unit of the organisation (组织机构), in a tree of any depth
// under the root department.
type Department struct {
	ID       int64
	ParentID int64 // 0 only for the root
	Name     string
	Ext      string // extension code (扩展码) its messages carry; "" for none
	Enabled  bool   // a disabled department's users and apps, and its subtree's, are shut out
	// TemplatesOnly makes its console users send with approved templates
	// only, no free text.
	TemplatesOnly bool
	CreatedAt     time.Time
}

// Validate checks a department's own fields.
func (d *Department) Validate() error {
	if n := strings.TrimSpace(d.Name); n == "" || utf8.RuneCountInString(n) > 64 {
		return FieldError("name", "部门名称不能为空且最长64个字")
	}
	return ValidateExt("ext", d.Ext)
}

// DepartmentUpdate changes some fields of a department; nil fields stay.
type DepartmentUpdate struct {
	Name     *string
	ParentID *int64
	Ext      *string
	Enabled  *bool
	// TemplatesOnly sets whether its console users may send free text.
	TemplatesOnly *bool
}

// DepartmentService manages the organisation. A system administrator may
// change any department, a department administrator those below its own.
type DepartmentService interface {
	// CreateDepartment stores d under d.ParentID (the root when 0).
	// Errors: EINVALID, EFORBIDDEN, ENOTFOUND (parent), ECONFLICT (ext).
	CreateDepartment(ctx context.Context, p *Principal, d *Department) error
	// FindDepartments lists the departments p may see, parents first.
	FindDepartments(ctx context.Context, p *Principal) ([]*Department, error)
	// UpdateDepartment renames, moves or recodes a department.
	// Errors: EINVALID (a move under itself), EFORBIDDEN, ENOTFOUND, ECONFLICT.
	UpdateDepartment(ctx context.Context, p *Principal, id int64, u *DepartmentUpdate) (*Department, error)
	// DeleteDepartment removes an empty department.
	// Errors: ECONFLICT (it has sub-departments, users, apps or messages), EFORBIDDEN, ENOTFOUND.
	DeleteDepartment(ctx context.Context, p *Principal, id int64) error
}

// CanManageOrg reports whether p may manage departments and apps at all:
// system and department administrators, and their apps with the admin scope.
func (p *Principal) CanManageOrg() bool {
	return (p.Role == RoleSysadmin || p.Role == RoleDeptAdmin) && p.HasScope(ScopeAdmin)
}

// Outranks reports whether role r may grant role other: never above itself.
func (r Role) Outranks(other Role) bool {
	rank := map[Role]int{RoleSysadmin: 3, RoleDeptAdmin: 2, RoleOperator: 1, RoleAuditor: 1}
	return rank[r] >= rank[other] && other.Valid()
}
