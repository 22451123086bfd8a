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
