package app

import (
	"context"
	"net"
	"net/url"
	"strings"
	"time"
)

// API scopes an app may be granted.
const (
	ScopeSend      = "send"
	ScopeQuery     = "query"
	ScopeTemplates = "templates"
	ScopeContacts  = "contacts"
	ScopeAccount   = "account"
	ScopeAdmin     = "admin"
)

// APIKey is a business system's credential (应用接入). The secret is shown
// once at creation and stored only as a hash.
type APIKey struct {
	ID            int64
	Name          string
	Key           string // public identifier
	DepartmentID  int64
	UserID        int64
	Role          Role // the role the app acts with
	Scopes        []string
	AllowFreeText bool
	Ext           string   // extension code (扩展码); "" uses the department's
	RateLimit     int      // requests per second; 0 means the default, 100
	IPAllowlist   []string // addresses or CIDR networks allowed to call; empty: any
	CallbackURL   string   // where review results of its templates and signatures are posted; "" for none
	Enabled       bool
	CreatedAt     time.Time
}

// MaxExt is the longest extension code, in digits, a message may carry in
// all (the sender's and the request's together), so that source number plus
// extension fits SMPP's 20-character address.
const MaxExt = 6

// ValidateExt checks an extension code: digits only, at most MaxExt.
func ValidateExt(field, ext string) error {
	if len(ext) > MaxExt || strings.Trim(ext, "0123456789") != "" {
		return FieldError(field, "扩展码只能是数字，最长%d位", MaxExt)
	}
	return nil
}

// Validate checks a new key's fields.
func (k *APIKey) Validate() error {
	if strings.TrimSpace(k.Name) == "" {
		return FieldError("name", "应用名称不能为空")
	} else if k.DepartmentID == 0 {
		return FieldError("department_id", "请选择部门")
	} else if !k.Role.Valid() {
		return FieldError("role", "未知角色：%q", k.Role)
	} else if err := ValidateExt("ext", k.Ext); err != nil {
		return err
	} else if k.RateLimit < 0 || k.RateLimit > 100000 {
		return FieldError("rate_limit", "每秒请求上限应在1到100000之间")
	}
	if err := ValidateCallbackURL(k.CallbackURL); err != nil {
		return err
	}
	for _, a := range k.IPAllowlist {
		if _, _, err := net.ParseCIDR(a); err != nil && net.ParseIP(a) == nil {
			return FieldError("ip_allowlist", "不是IP地址或网段：%q", a)
		}
	}
	for _, s := range k.Scopes {
		switch s {
		case ScopeSend, ScopeQuery, ScopeTemplates, ScopeContacts, ScopeAccount, ScopeAdmin:
		default:
			return FieldError("scopes", "未知权限范围：%q", s)
		}
	}
	return nil
}

// APIKeyService creates and checks API credentials.
type APIKeyService interface {
	// CreateAPIKey stores k, setting ID and Key, and returns the secret,
	// which is not stored and cannot be shown again. Errors: EINVALID.
	CreateAPIKey(ctx context.Context, k *APIKey) (secret string, err error)
	// Authenticate returns the principal of a Bearer secret.
	// Errors: EUNAUTHORIZED (unknown or disabled).
	Authenticate(ctx context.Context, secret string) (*Principal, error)
	// AuthenticateSigned returns the principal of a signed request whose
	// signature, timestamp and nonce are good. Errors: EUNAUTHORIZED.
	AuthenticateSigned(ctx context.Context, r *SignedRequest) (*Principal, error)
	// CreateApp is CreateAPIKey for a caller: in a department it reaches,
	// with a role not above its own. Errors: EFORBIDDEN, EINVALID, ECONFLICT.
	CreateApp(ctx context.Context, p *Principal, k *APIKey) (secret string, err error)
	// FindApps lists the apps of the departments p reaches; no secrets.
	FindApps(ctx context.Context, p *Principal) ([]*APIKey, error)
	// UpdateApp enables, disables or retunes an app p manages.
	// Errors: EINVALID, EFORBIDDEN, ENOTFOUND, ECONFLICT (ext).
	UpdateApp(ctx context.Context, p *Principal, id int64, u *AppUpdate) (*APIKey, error)
	// RotateSecret gives an app a new secret, shown once; the old one stops
	// working at once. Errors: EFORBIDDEN, ENOTFOUND.
	RotateSecret(ctx context.Context, p *Principal, id int64) (string, error)
}

// AppUpdate changes some fields of an app; nil fields stay.
type AppUpdate struct {
	Enabled       *bool
	RateLimit     *int
	Ext           *string
	Scopes        *[]string
	IPAllowlist   *[]string
	AllowFreeText *bool
	CallbackURL   *string
}

// ValidateCallbackURL checks an app's callback address: empty, or an
// absolute http or https URL.
func ValidateCallbackURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(v) > 500 {
		return FieldError("callback_url", "回调地址应为 http:// 或 https:// 开头的完整网址")
	}
	return nil
}

// AllowsIP reports whether ip may call as p: any when p has no allowlist.
func (p *Principal) AllowsIP(ip string) bool {
	if len(p.AllowedIPs) == 0 {
		return true
	}
	addr := net.ParseIP(ip)
	for _, a := range p.AllowedIPs {
		if _, n, err := net.ParseCIDR(a); err == nil && addr != nil && n.Contains(addr) {
			return true
		} else if a == ip || addr != nil && addr.Equal(net.ParseIP(a)) {
			return true
		}
	}
	return false
}
