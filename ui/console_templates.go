package ui

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// 模板与签名: templates and signatures, submitted by departments and
// reviewed by system administrators, every decision audited.

var kindLabels = map[app.TemplateKind]string{app.KindNotice: "通知", app.KindCode: "验证码", app.KindMarketing: "营销"}

var reviewLabels = map[app.ReviewStatus]string{app.ReviewPending: "待审核", app.ReviewApproved: "已通过", app.ReviewRejected: "已驳回"}

func (s *Server) templatesPage(c echo.Context) error {
	return s.renderTemplates(c, http.StatusOK, map[string]any{})
}

// templateRow is a template as the page lists it.
type templateRow struct {
	ID, Name, Kind, KindText, Content, Vars, Status, StatusText, Reason, Live string
	Version, LiveVersion                                                      int
	Notes                                                                     []string
	Mine                                                                      bool // in the user's own subtree: it may edit
}

func (s *Server) renderTemplates(c echo.Context, status int, data map[string]any) error {
	p := c.Get(principalKey).(*app.Principal)
	ctx := c.Request().Context()
	list, _, err := s.opts.Templates.FindTemplates(ctx, p, app.TemplateFilter{Status: app.ReviewStatus(c.QueryParam("status")), Limit: 1000})
	if err != nil {
		return err
	}
	_, reach, err := s.departments(c, p)
	if err != nil {
		return err
	}
	rows := make([]templateRow, 0, len(list))
	for _, t := range list {
		_, mine := reach[t.DepartmentID]
		rows = append(rows, templateRow{ID: formatID(t.ID), Name: t.Name, Kind: string(t.Kind), KindText: kindLabels[t.Kind], Content: t.Content,
			Vars: formatVarRules(t.Vars), Status: string(t.Status), StatusText: reviewLabels[t.Status], Reason: t.Reason, Live: t.LiveContent,
			Version: t.Version, LiveVersion: t.LiveVersion, Notes: t.Notes, Mine: mine || p.SeesAll()})
	}
	sigs, err := s.opts.Templates.FindSignatures(ctx, p, app.SignatureFilter{})
	if err != nil {
		return err
	}
	type sigRow struct {
		ID, Name, Dept, Status, StatusText, Reason string
		Default, Mine                              bool
	}
	srows := make([]sigRow, 0, len(sigs))
	for _, g := range sigs {
		dept, mine := reach[g.DepartmentID]
		if !mine {
			dept = "上级部门"
		}
		srows = append(srows, sigRow{ID: formatID(g.ID), Name: g.Name, Dept: dept, Status: string(g.Status), StatusText: reviewLabels[g.Status],
			Reason: g.Reason, Default: g.Default, Mine: mine || p.SeesAll()})
	}
	data["Templates"], data["Signatures"], data["Filter"] = rows, srows, c.QueryParam("status")
	data["CanReview"], data["CanWrite"] = p.CanReview(), p.Role != app.RoleAuditor
	return s.console.render(c, status, "templates.html", s.page(c, "模板与签名", data))
}

// formatVarRules writes rules as the form takes them: "code:digits:8, name:text:20".
func formatVarRules(rules map[string]app.VarRule) string {
	names := make([]string, 0, len(rules))
	for n := range rules {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ":" + string(rules[n].Type) + ":" + strconv.Itoa(rules[n].MaxLen)
	}
	return strings.Join(parts, ", ")
}

// parseVarRules reads "code:digits:8, name:text" (type and length optional).
func parseVarRules(v string) (map[string]app.VarRule, error) {
	out := map[string]app.VarRule{}
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '\n' }) {
		f := strings.Split(part, ":")
		if len(f) > 3 || f[0] == "" {
			return nil, app.FieldError("vars", "变量规则“%s”应写成 名称:类型:最大长度，如 code:digits:6", part)
		}
		r := app.VarRule{}
		if len(f) > 1 {
			r.Type = app.VarType(f[1])
		}
		if len(f) > 2 {
			n, err := strconv.Atoi(f[2])
			if err != nil {
				return nil, app.FieldError("vars", "变量规则“%s”的最大长度应为数字", part)
			}
			r.MaxLen = n
		}
		out[f[0]] = r
	}
	return out, nil
}

// templateAction creates, edits, deletes or reviews a template or a signature.
func (s *Server) templateAction(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	action := c.Param("action")
	allowed := p.Role != app.RoleAuditor
	if strings.HasSuffix(action, "review") {
		allowed = p.CanReview()
	}
	if ok, err := s.formAllowed(c, allowed); !ok {
		return err
	}
	ctx := c.Request().Context()
	u := c.Get(userKey).(*app.User)
	id, _ := strconv.ParseInt(c.FormValue("id"), 10, 64)
	version, _ := strconv.Atoi(c.FormValue("version"))
	review := &app.Review{Decision: c.FormValue("decision"), Reason: strings.TrimSpace(c.FormValue("reason")), Version: version}
	var err error
	target := "template:" + formatID(id)
	switch action {
	case "create", "edit":
		var vars map[string]app.VarRule
		if vars, err = parseVarRules(c.FormValue("vars")); err != nil {
			break
		}
		name, kind, content := strings.TrimSpace(c.FormValue("name")), app.TemplateKind(c.FormValue("kind")), strings.TrimSpace(c.FormValue("content"))
		if action == "create" {
			t := &app.Template{Name: name, Kind: kind, Content: content, Vars: vars}
			err = s.opts.Templates.CreateTemplate(ctx, p, t)
			target = "template:" + formatID(t.ID)
		} else {
			_, err = s.opts.Templates.UpdateTemplate(ctx, p, id, &app.TemplateUpdate{Name: &name, Kind: &kind, Content: &content, Vars: &vars})
		}
	case "delete":
		err = s.opts.Templates.DeleteTemplate(ctx, p, id)
	case "review":
		_, err = s.opts.Templates.ReviewTemplate(ctx, p, id, review)
		action = "review." + review.Decision
	case "sig-create":
		g := &app.Signature{Name: strings.TrimSpace(c.FormValue("name")), Default: c.FormValue("default") != ""}
		err = s.opts.Templates.SubmitSignature(ctx, p, g)
		target = "signature:" + formatID(g.ID)
	case "sig-delete":
		err, target = s.opts.Templates.DeleteSignature(ctx, p, id), "signature:"+formatID(id)
	case "sig-review":
		_, err = s.opts.Templates.ReviewSignature(ctx, p, id, review)
		action, target = "sig-review."+review.Decision, "signature:"+formatID(id)
	default:
		return echo.NewHTTPError(http.StatusNotFound)
	}
	s.auditConsole(c, u, "template."+action, target, err)
	if err != nil {
		if systemFault(err) {
			return err
		}
		return s.renderTemplates(c, http.StatusBadRequest, map[string]any{"Error": app.ErrorMessage(err)})
	}
	return c.Redirect(http.StatusSeeOther, "/templates")
}
