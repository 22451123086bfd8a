package ui

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// auditPage is 审计日志: who did what, newest first, for the roles that may
// read it (FindAudit decides), with a CSV or XLSX export of the same filter.
func (s *Server) auditPage(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if p.Role == app.RoleOperator {
		return s.forbidden(c)
	}
	f := app.AuditFilter{Action: strings.TrimSpace(c.QueryParam("action")), Cursor: c.QueryParam("cursor"), Limit: 50}
	var err error
	msg := ""
	if f.Since, err = s.consoleDate(c.QueryParam("since"), 0); err != nil {
		msg = "开始日期格式应为 2006-01-02"
	} else if f.Until, err = s.consoleDate(c.QueryParam("until"), 24*time.Hour); err != nil {
		msg = "结束日期格式应为 2006-01-02"
	}
	var list []*app.AuditEntry
	next := ""
	if msg == "" {
		if list, next, err = s.opts.Audit.FindAudit(c.Request().Context(), p, f); err != nil {
			return err
		}
	}
	names, err := s.auditNamesFor(c, p)
	if err != nil {
		return err
	}
	type row struct{ ID, At, Actor, Role, Dept, Action, Target, Summary, Result, IP string }
	rows := make([]row, 0, len(list))
	for _, e := range list {
		role := ""
		if e.Role != "" {
			role = roleLabel(e.Role)
		}
		rows = append(rows, row{formatID(e.ID), s.consoleTime(e.At), names.actor(e), role, names.department(e.DepartmentID),
			e.Action, e.Target, names.summary(e), e.Result, e.IP})
	}
	export := url.Values{"action": {f.Action}}
	if !f.Since.IsZero() {
		export.Set("since", f.Since.Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		export.Set("until", f.Until.Format(time.RFC3339))
	}
	return s.console.render(c, http.StatusOK, "audit.html", s.page(c, "审计日志", map[string]any{"Entries": rows, "Next": next,
		"Error": msg, "Action": f.Action, "Since": c.QueryParam("since"), "Until": c.QueryParam("until"), "Export": export.Encode()}))
}

// auditNames puts names on the ids of audit entries, for the 审计日志 page
// and its exports: users, apps and departments, looked up once per request
// from the services, within the caller's reach. An id it cannot name (out
// of reach, deleted) shows as its number.
type auditNames struct {
	users map[int64]*app.User
	apps  map[int64]string
	depts map[int64]string
}

// auditNamesFor reads the names p may see. An auditor reads the apps of its
// scope as a department administrator of its department would (the store
// lists apps to administrators only): names, nothing more.
func (s *Server) auditNamesFor(c echo.Context, p *app.Principal) (*auditNames, error) {
	ctx := c.Request().Context()
	n := &auditNames{users: map[int64]*app.User{}, apps: map[int64]string{}, depts: map[int64]string{}}
	reader := p
	if p.Role == app.RoleAuditor {
		reader = &app.Principal{Role: app.RoleDeptAdmin, DepartmentID: p.DepartmentID, Scopes: []string{app.ScopeAdmin}}
	}
	depts, err := s.opts.Departments.FindDepartments(ctx, reader)
	if err != nil {
		return nil, err
	}
	for _, d := range depts {
		n.depts[d.ID] = d.Name
	}
	if users, err := s.opts.Users.FindUsers(ctx, reader); err == nil {
		for _, u := range users {
			n.users[u.ID] = u
		}
	} else if app.ErrorCode(err) != app.EFORBIDDEN {
		return nil, err
	}
	if apps, err := s.opts.Keys.FindApps(ctx, reader); err == nil {
		for _, k := range apps {
			n.apps[k.ID] = k.Name
		}
	} else if app.ErrorCode(err) != app.EFORBIDDEN {
		return nil, err
	}
	return n, nil
}

// actor says who acted: the user by name, the app by name, the command
// line's account, or how an unknown caller came.
func (n *auditNames) actor(e *app.AuditEntry) string {
	switch {
	case e.UserID != 0:
		if u := n.users[e.UserID]; u != nil {
			return u.DisplayName + "（" + u.Username + "）"
		}
		return "用户#" + formatID(e.UserID)
	case e.APIKeyID != 0:
		if name, ok := n.apps[e.APIKeyID]; ok {
			return "应用：" + name
		}
		return "应用#" + formatID(e.APIKeyID)
	case strings.HasPrefix(e.Actor, "cli"):
		if who, ok := strings.CutPrefix(e.Actor, "cli:"); ok {
			return "命令行（" + who + "）"
		}
		return "命令行"
	case e.Actor == "console":
		return "未登录（控制台）"
	case e.Actor == "api":
		return "未认证（API）"
	case e.Actor == "system":
		return "系统"
	}
	return e.Actor
}

func (n *auditNames) userName(id int64) string {
	if u := n.users[id]; u != nil {
		return u.DisplayName + "（" + u.Username + "）"
	}
	return ""
}

func (n *auditNames) department(id int64) string {
	if id == 0 {
		return ""
	}
	if name, ok := n.depts[id]; ok {
		return name
	}
	return "部门#" + formatID(id)
}

// auditVerbs and auditNouns word a console action that has no summary of
// its own, from its name ("channel.disable") and target ("channel:3").
var auditVerbs = map[string]string{"login": "登录", "logout": "退出登录", "change": "修改", "create": "新建", "update": "修改",
	"delete": "删除", "remove": "移除", "add": "加入", "import": "导入", "enable": "启用", "disable": "停用",
	"rotate_secret": "重置密钥", "reset_password": "重置密码", "approve": "审核通过", "reject": "审核驳回", "submit": "提交", "unsubscribe": "回复退订，加入",
	"cancel": "取消", "withdraw": "撤回", "resend": "失败重发", "export_failed": "导出失败号码", "save": "保存"}

var auditPhrases = map[string]string{"login": "登录控制台", "logout": "退出登录", "password.change": "修改本人密码"}

var auditNouns = map[string]string{"user": "用户", "department": "部门", "app": "应用", "channel": "通道", "batch": "批次",
	"blacklist": "黑名单", "template": "模板", "signature": "签名", "word_list": "敏感词库", "password": "密码", "reply": "回复"}

// summary is the entry's own summary, or for an action without one, the
// action in words: 停用 通道 3.
func (n *auditNames) summary(e *app.AuditEntry) string {
	if e.Summary != "" || strings.Contains(e.Action, " ") { // API entries name the method and path
		return e.Summary
	}
	if phrase, ok := auditPhrases[e.Action]; ok {
		return phrase
	}
	parts := strings.Split(e.Action, ".")
	verb := auditVerbs[parts[len(parts)-1]]
	if verb == "" {
		return ""
	}
	kind, id, _ := strings.Cut(e.Target, ":")
	noun := auditNouns[kind]
	switch {
	case kind == "user" && id != "":
		if k, err := parseID(id); err == nil && n.users[k] != nil {
			id = n.userName(k) // user.* targets carry ids; login's the name typed
		}
		return verb + " " + noun + " " + id
	case kind == "department":
		if d, err := parseID(id); err == nil {
			return verb + " " + noun + " " + n.department(d)
		}
	case kind == "app":
		if k, err := parseID(id); err == nil {
			if name, ok := n.apps[k]; ok {
				return verb + " " + noun + " " + name
			}
		}
	case kind == "blacklist":
		if d, err := parseID(id); err == nil && d != 0 {
			return verb + " " + n.department(d) + noun
		}
		return verb + " 全局" + noun
	}
	if noun == "" {
		return verb
	}
	return strings.TrimSpace(verb + " " + noun + " " + id)
}
