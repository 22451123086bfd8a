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

// ExtCode is an extension code on the platform and the department whose
// replies it brings: a department's own code, or one of its apps'.
type ExtCode struct {
	Code         string
	DepartmentID int64
	Department   string // its name, for messages
}

// Extension codes decide whose a reply is, and so whose blacklist a 退订
// lands on: a reply to the channel's number plus code plus more digits
// belongs to the department whose code begins those digits. So that no
// department receives another's replies or unsubscribes:
//   - no code is another's or begins another (ExtClash: the codes are
//     prefix-free across the platform, "2" and "21" cannot both exist);
//   - a request's ext never makes an extension that begins with another
//     department's code (SendExtAllowed);
//   - a reply goes by the longest code that begins its extension, and to
//     no department when two share that code (ExtOwner).

// ExtClash returns the first of others that is ext, begins it or begins
// with it; nil for none, and always nil for "".
func ExtClash(ext string, others []ExtCode) *ExtCode {
	if ext == "" {
		return nil
	}
	for i, c := range others {
		if c.Code != "" && (strings.HasPrefix(ext, c.Code) || strings.HasPrefix(c.Code, ext)) {
			return &others[i]
		}
	}
	return nil
}

// ExtClashError is ExtClash's refusal: ECONFLICT naming the field and the
// department whose code is in the way.
func ExtClashError(ext string, c *ExtCode) error {
	e := Errorf(ECONFLICT, "扩展码 %s 与部门「%s」的扩展码 %s 冲突：扩展码不能相同，也不能是另一个的开头，否则回复和退订会归错部门", ext, c.Department, c.Code)
	e.Details = map[string]any{"field": "ext", "department_id": c.DepartmentID}
	return e
}

// SendExtAllowed checks the extension a sender of department dept would
// send with (its code plus the request's digits) against the codes that
// begin it: each must be dept's, or the replies would reach another
// department. Errors: EINVALID (field ext).
func SendExtAllowed(full string, dept int64, codes []ExtCode) error {
	for _, c := range codes {
		if c.Code != "" && strings.HasPrefix(full, c.Code) && c.DepartmentID != dept {
			return FieldError("ext", "扩展码 %s 以部门「%s」的扩展码 %s 开头，回复会归到该部门，请换一个", full, c.Department, c.Code)
		}
	}
	return nil
}

// ExtOwner returns the department a reply to extension ext belongs to by
// the codes alone: the one with the longest code that begins ext; 0 when
// no code does, or when departments share that longest code (a conflict
// older than the prefix-free rule: nobody's rather than a guess).
func ExtOwner(ext string, codes []ExtCode) int64 {
	best, owner := 0, int64(0)
	for _, c := range codes {
		if c.Code == "" || !strings.HasPrefix(ext, c.Code) {
			continue
		}
		switch {
		case len(c.Code) > best:
			best, owner = len(c.Code), c.DepartmentID
		case len(c.Code) == best && c.DepartmentID != owner:
			owner = 0
		}
	}
	return owner
}
