package app

// Role is what a user or an API app may do.
type Role string

// The roles, from the most to the least powerful.
const (
	RoleSysadmin  Role = "sysadmin"
	RoleDeptAdmin Role = "dept_admin"
	RoleOperator  Role = "operator"
	RoleAuditor   Role = "auditor"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleSysadmin, RoleDeptAdmin, RoleOperator, RoleAuditor:
		return true
	}
	return false
}

// Principal is the authenticated caller of a service method: a console user or
// an API app acting inside a department.
type Principal struct {
	UserID        int64
	DepartmentID  int64
	APIKeyID      int64
	Role          Role
	Scopes        []string
	AllowFreeText bool // an API app may send free text
	// TemplatesOnly: a console user whose department sends with approved
	// templates only.
	TemplatesOnly bool
	// Ext is the extension code (扩展码) the caller's messages carry after
	// the channel's source number, so replies come back to it: its API
	// key's, else its department's.
	Ext string
	// RateLimit caps an API app's requests per second (0: no limit).
	RateLimit int
	// AllowedIPs limits where an API app may call from (empty: anywhere).
	AllowedIPs []string
}

// SeesAll reports whether the caller's data scope is the whole platform.
func (p *Principal) SeesAll() bool { return p.Role == RoleSysadmin }

// ReadsPlatform reports whether the caller may read the whole platform,
// platform-wide entries included: a system administrator, or a platform
// auditor (an auditor of the root department). Any other auditor reads its
// department's subtree, as a department administrator does.
func (p *Principal) ReadsPlatform() bool {
	return p.SeesAll() || p.Role == RoleAuditor && p.DepartmentID == RootDepartmentID
}

// MayGrant answers EFORBIDDEN when p may not give role to a user or an app
// of department dept because of what it would see: only a system
// administrator makes platform auditors (nobody grants visibility beyond
// its own). Rank and reach are checked by the store.
func (p *Principal) MayGrant(role Role, dept int64) error {
	if role == RoleAuditor && dept == RootDepartmentID && p.Role != RoleSysadmin {
		return Errorf(EFORBIDDEN, "只有系统管理员可以创建全平台审计员")
	}
	return nil
}

// HasScope reports whether an API app was granted scope s. Console users are
// limited by their role instead, so they have every scope.
func (p *Principal) HasScope(s string) bool {
	if p.APIKeyID == 0 {
		return true
	}
	for _, v := range p.Scopes {
		if v == s {
			return true
		}
	}
	return false
}

// CanManageChannels reports whether p may see and change channels: system
// administrators only, and API apps of theirs with the admin scope.
func (p *Principal) CanManageChannels() bool {
	return p.Role == RoleSysadmin && p.HasScope(ScopeAdmin)
}

// RequireChannelAdmin answers EFORBIDDEN unless p may manage channels.
func RequireChannelAdmin(p *Principal) error {
	if !p.CanManageChannels() {
		return Errorf(EFORBIDDEN, "只有系统管理员可以管理通道")
	}
	return nil
}

// MaySendFreeText answers EFORBIDDEN unless p may send free text at all: an
// API app created so, a console user of a department that does not require
// templates. 失败重发 of a free-text batch asks it too.
func (p *Principal) MaySendFreeText() error {
	if p.APIKeyID != 0 && !p.AllowFreeText {
		return Errorf(EFORBIDDEN, "该应用只能使用已审核的模板发送，不能发送自由文本")
	} else if p.APIKeyID == 0 && p.TemplatesOnly {
		return Errorf(EFORBIDDEN, "本部门只能使用已审核的模板发送，不能发送自由文本")
	}
	return nil
}

// MayGrantScopes answers EFORBIDDEN unless p holds every scope, and free
// text if allowFreeText, that it gives an app: an app never widens its own
// or another app's rights beyond its own. Console users are limited by
// their role instead.
func (p *Principal) MayGrantScopes(scopes []string, allowFreeText bool) error {
	for _, s := range scopes {
		if !p.HasScope(s) {
			return Errorf(EFORBIDDEN, "不能授予本应用没有的权限范围：%s", s)
		}
	}
	if allowFreeText && p.APIKeyID != 0 && !p.AllowFreeText {
		return Errorf(EFORBIDDEN, "不能授予本应用没有的自由文本发送权限")
	}
	return nil
}

// MayChange answers EFORBIDDEN for an auditor, console user or API app:
// auditors read, and change nothing (no send, resend, cancel or withdrawal).
func (p *Principal) MayChange() error {
	if p.Role == RoleAuditor {
		return Errorf(EFORBIDDEN, "审计员只能查看，不能执行此操作")
	}
	return nil
}
